import AIAgentBackend
import ArgumentParser
import Foundation

struct Test: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run API test suites for CI, here or on a server.",
        subcommands: [Run.self, Export.self, Import.self, Schema.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a suite file on this machine, or a stored suite on a server (--server).",
            discussion: "Exit status: 0 when every case passed, 1 when any failed, 2 for bad arguments or input."
        )

        @Argument(help: "The suite file (YAML, or JSON for a .json name); not with --server.") var suite: String?
        @Option(help: "The environment file; with --server, the environment's id or name.") var env: String?
        @Option(name: .customLong("env-var"), help: "NAME=VALUE over the environment's variables (repeatable).") var envVars: [String] = []
        @Option(help: "A CSV file that fills every case's data table.") var data: String?
        @Option(help: "Cases running at once (parallel suites).") var concurrency: Int?
        @Flag(help: "Start no case after the first failure.") var bail = false
        @Option(help: "Write a JUnit XML report here.") var junit: String?
        @Option(help: "Write an HTML report here.") var html: String?
        @Option(help: "Write a JSON report here.") var json: String?
        @Option(help: "Run on this server (its base URL) instead of here.") var server: String?
        @Option(help: "A personal access token (aab_pat_…), with --server.") var token: String?
        @Option(help: "The project's id or name, with --server.") var project: String?
        @Option(name: .customLong("suite"), help: "The stored suite's id or name, with --server.") var storedSuite: String?

        func run() async throws {
            let reports = ReportFiles(junit: junit, html: html, json: json)
            if let server {
                guard suite == nil, data == nil, envVars.isEmpty, !bail else {
                    throw ValidationError("--server runs a stored suite: give --suite, not a file, --data, --env-var or --bail")
                }
                guard let token, let project, let storedSuite, let env else {
                    throw ValidationError("--server needs --token, --project, --suite and --env")
                }
                let status = await ServerTestRun(
                    target: ServerTarget(server: server, token: token, project: project), suite: storedSuite, environment: env,
                    concurrency: concurrency, reports: reports
                ).run()
                throw ExitCode(status)
            }
            guard token == nil, project == nil, storedSuite == nil else { throw ValidationError("--token, --project and --suite go with --server") }
            guard let suite else { throw ValidationError("give a suite file, or --server") }
            let status = await LocalTestRun(
                suitePath: suite, environmentPath: env, variables: envVars, dataPath: data, concurrency: concurrency, bail: bail, reports: reports
            ).run()
            throw ExitCode(status)
        }
    }

    /// Where a stored suite lives.
    struct ServerOptions: ParsableArguments {
        @Option(help: "The server's base URL.") var server: String
        @Option(help: "A personal access token (aab_pat_…).") var token: String
        @Option(help: "The project's id or name.") var project: String

        var target: ServerTarget { ServerTarget(server: server, token: token, project: project) }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a stored suite and its cases as a suite file.")

        @OptionGroup var options: ServerOptions
        @Option(help: "The suite's id or name.") var suite: String
        @Argument(help: "The file to write (YAML, or JSON for a .json name).") var output: String

        func run() async throws {
            throw ExitCode(
                await SuiteExport(target: options.target, suite: suite, output: output).run())
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a suite and its cases from a suite file, or import a Postman collection or an OpenAPI document.")

        @OptionGroup var options: ServerOptions
        @Argument(help: "A suite file, a Postman collection or an OpenAPI document.") var file: String

        func run() async throws {
            throw ExitCode(await SuiteImport(target: options.target, file: file).run())
        }
    }

    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the suite file's JSON Schema (docs/suite-file.schema.json).")

        func run() async throws {
            FileHandle.standardOutput.write(try SuiteFileSchema.document())
        }
    }
}
