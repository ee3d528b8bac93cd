import Foundation
import Hummingbird

/// A case's outcome in one run, over its iterations.
struct CaseOutcome: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable, CaseIterable {
        /// Every iteration that ran passed.
        case passed
        /// At least one iteration failed or erred.
        case failed
        /// No iteration ran to an end.
        case cancelled
    }

    let caseID: UUID
    let name: String
    let status: Status

    enum CodingKeys: String, CodingKey {
        case name, status
        case caseID = "case_id"
    }
}

/// What changed from a baseline run to a run, case by case (by case id).
struct RunComparison: Codable, ResponseEncodable, Sendable {
    let runID: UUID
    let baselineID: UUID
    /// Passed in the baseline, failed now.
    let newlyFailing: [CaseOutcome]
    /// Failed in the baseline, passed now.
    let newlyPassing: [CaseOutcome]
    let stillFailing: [CaseOutcome]
    /// Cases in the run only (their outcome in the run).
    let added: [CaseOutcome]
    /// Cases in the baseline only (their outcome in the baseline).
    let removed: [CaseOutcome]
    /// Cases that passed in both.
    let stillPassing: Int

    enum CodingKeys: String, CodingKey {
        case added, removed
        case runID = "run_id"
        case baselineID = "baseline_id"
        case newlyFailing = "newly_failing"
        case newlyPassing = "newly_passing"
        case stillFailing = "still_failing"
        case stillPassing = "still_passing"
    }

    init(runID: UUID, run: [UUID: CaseOutcome], baselineID: UUID, baseline: [UUID: CaseOutcome]) {
        self.runID = runID
        self.baselineID = baselineID
        let byName: (CaseOutcome, CaseOutcome) -> Bool = { ($0.name, $0.caseID.uuidString) < ($1.name, $1.caseID.uuidString) }
        let both = run.values.compactMap { now in baseline[now.caseID].map { (before: $0, now: now) } }
        let changed = { (before: CaseOutcome.Status, now: CaseOutcome.Status) in
            both.filter { $0.before.status == before && $0.now.status == now }.map(\.now).sorted(by: byName)
        }
        newlyFailing = changed(.passed, .failed)
        newlyPassing = changed(.failed, .passed)
        stillFailing = changed(.failed, .failed)
        stillPassing = changed(.passed, .passed).count
        added = run.values.filter { baseline[$0.caseID] == nil }.sorted(by: byName)
        removed = baseline.values.filter { run[$0.caseID] == nil }.sorted(by: byName)
    }
}
