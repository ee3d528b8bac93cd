import Foundation

/// `knowledge_search`: the agents' way into the knowledge bases, the same retrieval as chat's.
/// Without `knowledge_base_ids` it searches every base (the first `KnowledgeGrounding.maxBases`
/// by name), so enable it only for agents whose users may read the knowledge bases.
struct KnowledgeSearchTool: AgentTool {
    static let name = "knowledge_search"
    static let maxTopK = 10
    let grounding: KnowledgeGrounding

    let definition = ToolDefinition(
        name: KnowledgeSearchTool.name,
        description:
            "Searches the knowledge bases (vectors and full text) and returns the best passages, numbered, with their document and heading. Cite them as [1], [2].",
        parameters: [
            "type": "object",
            "properties": [
                "query": ["type": "string", "description": "What to look for, in the documents' language"],
                "knowledge_base_ids": ["type": "array", "items": ["type": "string"], "description": "Bases to search; all when left out"],
                "top_k": ["type": "integer", "minimum": 1, "maximum": .number(Double(KnowledgeSearchTool.maxTopK)), "default": 5],
            ],
            "required": ["query"],
        ])

    func call(_ arguments: JSONValue) async throws -> String {
        guard let query = arguments["query"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !query.isEmpty else {
            throw ToolError("query must be a non-empty string")
        }
        let topK = min(max(Int(arguments["top_k"]?.numberValue ?? Double(KnowledgeGrounding.defaultTopK)), 1), Self.maxTopK)
        let bases: [KnowledgeBase]
        if let listed = arguments["knowledge_base_ids"]?.listValue {
            let ids = try listed.map { value in
                guard let id = value.stringValue.flatMap(UUID.init(uuidString:)) else { throw ToolError("knowledge_base_ids must be UUIDs") }
                return id
            }
            do { bases = try await grounding.bases(ids, field: "knowledge_base_ids") } catch let error as APIError { throw ToolError(error.message) }
        } else {
            bases = try await grounding.allBases()
        }
        guard !bases.isEmpty else { throw ToolError("there is no knowledge base to search") }
        let citations: [Citation]
        do {
            citations = try await grounding.retrieve(query, from: bases, topK: topK, userID: nil)
        } catch let error as APIError {
            throw ToolError(error.message)
        }
        return JSONValue.object([
            "results": JSONValue(encoding: citations.map { Passage($0) })
        ]).jsonString
    }

    /// What the model reads of a citation.
    private struct Passage: Encodable {
        let index: Int
        let document: String
        let heading: String
        let text: String

        init(_ citation: Citation) {
            index = citation.index
            document = citation.documentName
            heading = citation.headingPath.joined(separator: " › ")
            text = citation.text
        }
    }
}
