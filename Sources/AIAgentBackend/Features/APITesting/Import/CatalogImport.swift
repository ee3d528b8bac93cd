import Foundation

/// Turns an API description (OpenAPI 3.x, Swagger 2.0, Postman v2.1, HAR 1.2 or cURL
/// commands) into endpoints with a starter case each. Defects become warnings; only input
/// that is not a document of its format at all is refused, with a 422 naming the line or
/// JSON pointer.
enum CatalogImport {
    static func parse(_ content: String, format: ImportFormat?, postmanEnvironment: String? = nil) throws(APIError) -> ImportedCatalog {
        if format == .curl || (format == nil && looksLikeCurl(content)) {
            return try CurlImporter.importCatalog(content)
        }
        let document = try ImportDocument.parse(content)
        let chosen: ImportFormat
        if let format { chosen = format } else { chosen = try detect(document) }
        switch chosen {
        case .openapi, .swagger:
            return try OpenAPIImporter.importCatalog(document, swagger: chosen == .swagger)
        case .postman:
            var environment: JSONValue?
            if let postmanEnvironment { environment = try parseEnvironment(postmanEnvironment) }
            return try PostmanImporter.importCatalog(document, environment: environment)
        case .har:
            return try HARImporter.importCatalog(document)
        case .curl:
            return try CurlImporter.importCatalog(content)
        }
    }

    /// The format a parsed document declares.
    static func detect(_ document: JSONValue) throws(APIError) -> ImportFormat {
        guard document.objectValue != nil else {
            throw .importRefused(pointer: "", "not an OpenAPI, Swagger, Postman or HAR document (expected an object)")
        }
        if let version = document["openapi"].map(EndpointShape.text) {
            guard version.hasPrefix("3.") else { throw .importRefused(pointer: "/openapi", "OpenAPI \(version) is not supported (3.0 and 3.1 are)") }
            return .openapi
        }
        if let version = document["swagger"].map(EndpointShape.text) {
            guard version == "2.0" || version == "2" else {
                throw .importRefused(pointer: "/swagger", "Swagger \(version) is not supported (2.0 is)")
            }
            return .swagger
        }
        if document["info"]?["_postman_id"] != nil || document["info"]?["schema"]?.stringValue?.contains("getpostman.com") == true {
            return .postman
        }
        if document["log"]?.objectValue != nil { return .har }
        throw .importRefused(pointer: "", "not an OpenAPI, Swagger, Postman or HAR document (no openapi, swagger, info._postman_id or log)")
    }

    private static func looksLikeCurl(_ content: String) -> Bool {
        let start = content.drop { $0.isWhitespace }
        return start.hasPrefix("curl ") || start.hasPrefix("curl\t") || start.hasPrefix("curl\n") || start.hasPrefix("curl\\")
    }

    private static func parseEnvironment(_ text: String) throws(APIError) -> JSONValue {
        let environment: JSONValue
        do {
            environment = try ImportDocument.parse(text)
        } catch {
            throw .validation(field: "postman_environment", error.message)
        }
        guard environment["values"]?.listValue != nil else {
            throw .validation(field: "postman_environment", "a Postman environment needs a 'values' array")
        }
        return environment
    }
}
