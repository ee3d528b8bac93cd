import Foundation

/// The environment a command-line run uses, read from a file in the environments API's input
/// shape (`name`, `base_urls`, `variables` with `secret` flags, `headers`, `auth`, `verify_tls`,
/// `timeout_ms`, `follow_redirects`, `max_redirects`), checked as that API checks it.
enum EnvironmentFile {
    static func resolve(_ input: EnvironmentsController.EnvironmentInput, overrides: [String: String]) throws(APIError) -> ResolvedEnvironment {
        var environment = ResolvedEnvironment.empty
        if let baseURLs = input.baseURLs {
            try EnvironmentsController.check(baseURLs: baseURLs)
            environment.baseURLs = baseURLs
        }
        var seen = Set<String>()
        var secretNames = Set<String>()
        for (index, variable) in (input.variables ?? []).enumerated() {
            guard SecretValues.isName(variable.name) else {
                throw .validation(field: "variables[\(index)].name", "must start with a letter or _ and hold only letters, digits, _ . -")
            }
            guard seen.insert(variable.name).inserted else { throw .validation(field: "variables[\(index)].name", "is repeated") }
            let value = variable.value ?? ""
            environment.variables[variable.name] = .string(value)
            if variable.secret == true {
                environment.secretValues.insert(value)
                secretNames.insert(variable.name)
            }
        }
        // A CI secret given on the command line for a variable the file declares secret is redacted too.
        for (name, value) in overrides {
            guard SecretValues.isName(name) else { throw .validation(field: "--env-var \(name)", "is not a variable name") }
            environment.variables[name] = .string(value)
            if secretNames.contains(name) { environment.secretValues.insert(value) }
        }
        if let headers = input.headers {
            try EnvironmentsController.check(headers: headers)
            environment.headers = headers
        }
        if let auth = input.auth {
            environment.auth = auth
            environment.secretValues.formUnion(SecretValues.credentials(of: auth))
        }
        if let verifyTLS = input.verifyTLS { environment.verifyTLS = verifyTLS }
        if let timeout = input.timeoutMs {
            environment.timeout = .milliseconds(try APIError.checked(timeout, field: "timeout_ms", in: EnvironmentsController.timeouts))
        }
        if let follow = input.followRedirects { environment.followRedirects = follow }
        if let maxRedirects = input.maxRedirects {
            environment.maxRedirects = try APIError.checked(maxRedirects, field: "max_redirects", in: EnvironmentsController.redirects)
        }
        environment.secretValues.remove("")
        return environment
    }
}
