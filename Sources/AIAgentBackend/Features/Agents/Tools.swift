import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A function agents can call. Features add theirs to the `ToolRegistry`.
protocol AgentTool: Sendable {
    var definition: ToolDefinition { get }
    /// The result text handed back to the model; a thrown `ToolError` is reported to it as an error.
    func call(_ arguments: JSONValue) async throws -> String
}

/// A failure the model is told about, so it can correct its call.
struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct ToolRegistry: Sendable {
    private var tools: [String: any AgentTool] = [:]

    mutating func register(_ tool: any AgentTool) { tools[tool.definition.name] = tool }

    var names: [String] { tools.keys.sorted() }

    func definitions(_ names: [String]) -> [ToolDefinition] { names.compactMap { tools[$0]?.definition } }

    /// Runs a call the model made; only the tools enabled for the agent may run.
    func execute(_ call: ToolCall, enabled: [String]) async -> (result: String, isError: Bool) {
        guard enabled.contains(call.name), let tool = tools[call.name] else {
            return ("unknown tool '\(call.name)'", true)
        }
        do {
            return (try await tool.call(try call.decodedArguments()), false)
        } catch let error as ToolError {
            return (error.description, true)
        } catch is DecodingError {
            return ("the arguments are not valid JSON", true)
        } catch {
            return ("\(error)", true)
        }
    }

    /// The tools `builtIn` registers, for the API contract.
    static let builtInNames = ["current_time", "http_request", KnowledgeSearchTool.name]

    static func builtIn(settings: Settings, egress: EgressClient, knowledge: KnowledgeGrounding) -> ToolRegistry {
        var registry = ToolRegistry()
        registry.register(CurrentTimeTool())
        registry.register(HTTPRequestTool(client: egress, timeout: settings.agentHTTPTimeout))
        registry.register(KnowledgeSearchTool(grounding: knowledge))
        return registry
    }
}

/// The current date and time, in UTC and optionally in an IANA time zone.
struct CurrentTimeTool: AgentTool {
    let definition = ToolDefinition(
        name: "current_time",
        description: "The current date and time (ISO 8601), in UTC and optionally in a time zone.",
        parameters: ["type": "object", "properties": ["timezone": ["type": "string", "description": "IANA time zone such as Europe/Paris"]]])

    func call(_ arguments: JSONValue) async throws -> String {
        let now = Date()
        var result: [String: JSONValue] = ["utc": .string(now.formatted(.iso8601))]
        if let name = arguments["timezone"]?.stringValue {
            guard let zone = TimeZone(identifier: name) else { throw ToolError("unknown time zone '\(name)'") }
            var style = Date.ISO8601FormatStyle(timeZone: zone)
            style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
            result["timezone"] = .string(name)
            result["local"] = .string(now.formatted(style))
        }
        return JSONValue.object(result).jsonString
    }
}

/// An HTTP request to the outside world, through the agents' egress policy (`AGENT_HTTP_ALLOWLIST`).
struct HTTPRequestTool: AgentTool {
    let client: EgressClient
    let timeout: Duration
    /// The most of a response body the model sees; reading stops there.
    static let bodyLimit = 8 * 1024

    let definition = ToolDefinition(
        name: "http_request",
        description: "Makes an HTTP request and returns the status, headers and (truncated) body.",
        parameters: [
            "type": "object",
            "properties": [
                "method": ["type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "default": "GET"],
                "url": ["type": "string", "description": "Absolute http(s) URL"],
                "headers": ["type": "object", "additionalProperties": ["type": "string"]],
                "body": ["type": "string", "description": "Request body (JSON text for JSON APIs)"],
            ],
            "required": ["url"],
        ])

    func call(_ arguments: JSONValue) async throws -> String {
        guard let urlText = arguments["url"]?.stringValue, let url = URL(string: urlText),
            let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil
        else { throw ToolError("url must be an absolute http(s) URL") }
        let method = (arguments["method"]?.stringValue ?? "GET").uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) else { throw ToolError("unsupported method '\(method)'") }
        var request = HTTPClientRequest(url: urlText)
        request.method = HTTPMethod(rawValue: method)
        if case .object(let headers)? = arguments["headers"] {
            for (name, value) in headers { request.headers.add(name: name, value: value.stringValue ?? value.jsonString) }
        }
        if let body = arguments["body"], body != .null {
            request.body = .bytes(ByteBuffer(string: body.stringValue ?? body.jsonString))
        }
        let response: EgressClient.Response
        do {
            response = try await client.execute(request, timeout: timeout, bodyLimit: Self.bodyLimit)
        } catch let refusal as EgressRefusal {
            throw ToolError(refusal.description)
        } catch {
            throw ToolError("request failed: \(error)")
        }
        let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { "\($0), \($1)" })
        let result: JSONValue = [
            "status": .number(Double(response.status.code)),
            "headers": .object(headers.mapValues(JSONValue.string)),
            "body": .string(String(decoding: response.body.readableBytesView, as: UTF8.self)),
            "truncated": .bool(response.truncated),
        ]
        return result.jsonString
    }
}
