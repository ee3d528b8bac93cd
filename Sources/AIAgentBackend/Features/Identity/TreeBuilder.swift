import Foundation

/// Department and menu trees: rows naming their parent, nested for the API.
///
/// Rows arrive from requests and from the database alike, so nothing here recurses on
/// their depth: a deep chain would overflow the stack while building or while
/// `JSONEncoder` encodes the nested result.
enum TreeBuilder {
    /// The most levels a tree may have; a top-level row is level 1. Creating or moving a
    /// row that would sit deeper is refused with 422.
    static let maxDepth = 10
    /// Where a sibling may be placed among the others.
    static let sortOrders = -1_000_000...1_000_000

    /// Nests `nodes`, siblings ordered by `order`. Never deeper than ``maxDepth``:
    /// - a row whose parent is missing is a root;
    /// - rows stored deeper than ``maxDepth`` (written to the database directly) are listed
    ///   flat at the last level, beside their ancestor there; their `parent_id` is unchanged;
    /// - rows caught in a parent loop reach no root: each loop is shown from one of its rows,
    ///   as a root, so it stays visible and can be moved out.
    static func build<Node>(
        _ nodes: [Node], id: KeyPath<Node, UUID>, parent: KeyPath<Node, UUID?>,
        order: (Node) -> (Int, String), attach: (Node, [Node]) -> Node
    ) -> [Node] {
        let byID = Dictionary(nodes.map { ($0[keyPath: id], $0) }, uniquingKeysWith: { first, _ in first })
        let byParent = Dictionary(grouping: byID.values) { node in node[keyPath: parent].flatMap { byID[$0] == nil ? nil : $0 } }
        // Breadth first: each row with the row it is shown under (nil: a root), parents before children.
        var placed: [(id: UUID, under: UUID?)] = []
        var level: [UUID: Int] = [:]
        func place(_ roots: [Node]) {
            var next = placed.count
            for root in roots {
                level[root[keyPath: id]] = 1
                placed.append((root[keyPath: id], nil))
            }
            while next < placed.count {
                let (current, under) = placed[next]
                next += 1
                let depth = level[current]!
                for child in byParent[current] ?? [] where level[child[keyPath: id]] == nil {
                    let full = depth == maxDepth
                    level[child[keyPath: id]] = full ? depth : depth + 1
                    placed.append((child[keyPath: id], full ? under : current))
                }
            }
        }
        place(byParent[nil] ?? [])
        for node in nodes where level[node[keyPath: id]] == nil {
            // Up from a row outside the tree until a row repeats: that row is in the loop.
            var current = node[keyPath: id]
            var seen: Set<UUID> = []
            while seen.insert(current).inserted, let up = byID[current]?[keyPath: parent] { current = up }
            place([byID[current]!])
        }
        // Children before their parents, so each row is attached complete.
        var children: [UUID?: [Node]] = [:]
        for (current, under) in placed.reversed() {
            let own = (children.removeValue(forKey: current) ?? []).sorted { order($0) < order($1) }
            children[under, default: []].append(attach(byID[current]!, own))
        }
        return (children[nil] ?? []).sorted { order($0) < order($1) }
    }

    /// Refuses putting `row` (nil for a new row) under `parent` when that would make a
    /// loop or a tree deeper than ``maxDepth``. `parents` maps every row of the table to
    /// its parent.
    static func checkPlacement(of row: UUID?, under parent: UUID, parents: [UUID: UUID?]) throws {
        // The parent's level, counted upwards.
        var level = 1
        var current = parent
        var seen: Set<UUID> = []
        while true {
            guard current != row else {
                throw APIError.validation(field: "parent_id", "an entry cannot be moved under itself or one of its descendants")
            }
            guard seen.insert(current).inserted else { throw APIError.validation(field: "parent_id", "the parent is part of a loop") }
            guard let up = parents[current] ?? nil, parents[up] != nil else { break }
            current = up
            level += 1
        }
        // The levels the moved row brings along below itself.
        var below = 0
        if let row {
            let children = Dictionary(grouping: parents.keys) { parents[$0] ?? nil }
            var frontier = [row]
            var visited: Set<UUID> = [row]
            while true {
                frontier = frontier.flatMap { children[$0] ?? [] }.filter { visited.insert($0).inserted }
                if frontier.isEmpty { break }
                below += 1
            }
        }
        guard level + 1 + below <= maxDepth else {
            throw APIError.validation(field: "parent_id", "would make the tree deeper than \(maxDepth) levels")
        }
    }

    /// Every row of a table with its parent, for ``checkPlacement(of:under:parents:)``.
    static func parents<Row>(_ rows: [Row], id: KeyPath<Row, UUID?>, parent: KeyPath<Row, UUID?>) -> [UUID: UUID?] {
        Dictionary(rows.compactMap { row in row[keyPath: id].map { ($0, row[keyPath: parent]) } }, uniquingKeysWith: { first, _ in first })
    }
}
