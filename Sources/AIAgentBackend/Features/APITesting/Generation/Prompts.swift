import Foundation

/// The generation's prompt templates: Markdown files in `Prompts/`, shipped as the target's
/// resources, with `<<name>>` placeholders (`{{…}}` is the case format's own templating).
/// `Prompts/VERSION` names the set; bump it with any change, since each generation stores it.
struct Prompts: Sendable {
    let version: String
    private let templates: [String: String]

    static let bundled: Prompts = {
        guard let folder = Bundle.module.url(forResource: "Prompts", withExtension: nil) else {
            fatalError("the Prompts resource folder is missing beside the binary")
        }
        return Prompts(folder: folder)
    }()

    init(folder: URL) {
        func read(_ name: String) -> String {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                fatalError("the prompt '\(name)' is missing from \(folder.path)")
            }
            return text
        }
        version = "v" + read("VERSION").trimmingCharacters(in: .whitespacesAndNewlines)
        templates = Dictionary(
            uniqueKeysWithValues: ["system", "analyse", "design", "review", "repair-output", "repair-case"].map { ($0, read("\($0).md")) })
    }

    /// The template `name` with each `<<key>>` replaced; a placeholder without a value is left visible, so a test sees it.
    func render(_ name: String, _ values: [String: String]) -> String {
        var text = templates[name] ?? ""
        for (key, value) in values { text = text.replacingOccurrences(of: "<<\(key)>>", with: value) }
        return text
    }
}
