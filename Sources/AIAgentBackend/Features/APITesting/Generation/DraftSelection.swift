import Foundation

/// Picks the cases a generation keeps: `count` of them (or all there are), kinds taken in
/// turn so each requested kind is represented, and priorities brought to the requested split,
/// relabelling a case when a priority has too few.
enum DraftSelection {
    struct Candidate: Sendable, Equatable {
        var ref: String
        var kind: GeneratedCaseKind
        var priority: GeneratedPriority
    }

    /// The kept candidates in their original order, with their final priorities.
    static func select(_ candidates: [Candidate], count: Int, split: PrioritySplit) -> [Candidate] {
        let total = min(count, candidates.count)
        guard total > 0 else { return [] }
        var wanted = apportion(total, split)
        let order = interleavedByKind(candidates)
        var chosen: [Int: GeneratedPriority] = [:]
        // First the cases already labelled with a priority that still has room…
        for index in order where wanted[candidates[index].priority, default: 0] > 0 {
            chosen[index] = candidates[index].priority
            wanted[candidates[index].priority, default: 0] -= 1
        }
        // …then others, relabelled to fill the priorities short of their share.
        for index in order where chosen[index] == nil {
            guard let short = GeneratedPriority.allCases.first(where: { wanted[$0, default: 0] > 0 }) else { break }
            chosen[index] = short
            wanted[short, default: 0] -= 1
        }
        return chosen.keys.sorted().map { index in
            var candidate = candidates[index]
            candidate.priority = chosen[index]!
            return candidate
        }
    }

    /// Largest remainders: `total` shared in proportion to the split, summing exactly to `total`.
    static func apportion(_ total: Int, _ split: PrioritySplit) -> [GeneratedPriority: Int] {
        let priorities = GeneratedPriority.allCases
        var shares = Dictionary(uniqueKeysWithValues: priorities.map { ($0, total * split.percent($0) / 100) })
        let left = total - shares.values.reduce(0, +)
        let byRemainder = priorities.sorted { (total * split.percent($0)) % 100 > (total * split.percent($1)) % 100 }
        for priority in byRemainder.prefix(left) { shares[priority, default: 0] += 1 }
        return shares
    }

    /// Indices taking the kinds in turn: the first case of each kind, then the second of each…
    private static func interleavedByKind(_ candidates: [Candidate]) -> [Int] {
        var queues: [GeneratedCaseKind: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() { queues[candidate.kind, default: []].append(index) }
        let kinds = GeneratedCaseKind.allCases.filter { queues[$0] != nil }
        var order: [Int] = []
        var round = 0
        while order.count < candidates.count {
            for kind in kinds where round < queues[kind]!.count { order.append(queues[kind]![round]) }
            round += 1
        }
        return order
    }
}
