/// Fits a conversation into the model's context budget, estimating tokens as characters / 4.
enum ContextWindow {
    /// Per-message overhead of the wire formats (role, separators).
    static let messageOverhead = 4

    static func estimatedTokens(_ message: ChatMessage) -> Int {
        (message.content ?? "").count / 4 + messageOverhead
    }

    /// The newest messages whose estimate, with the system prompt's, fits `budget`. The newest
    /// message is always kept, and the result starts with a user turn, as providers require.
    static func trim(_ history: [ChatMessage], systemPrompt: String?, budget: Int) -> [ChatMessage] {
        var remaining = budget - (systemPrompt.map { estimatedTokens(.system($0)) } ?? 0)
        var kept: [ChatMessage] = []
        for message in history.reversed() {
            let cost = estimatedTokens(message)
            guard kept.isEmpty || cost <= remaining else { break }
            remaining -= cost
            kept.append(message)
        }
        kept.reverse()
        while kept.count > 1, kept.first?.role != .user { kept.removeFirst() }
        return kept
    }
}
