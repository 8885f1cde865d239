// NST: the root `nst` command, its list of subcommands, the process-wide settings made at start-up, and the one-line error handling of `main`.
import ArgumentParser
import Foundation
import StyleTransfer

@main
struct NST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst",
        abstract: "Neural style transfer (Gatys, Ecker, Bethge 2015) on OpenCL or the CPU.",
        version: NSTVersion.string,
        subcommands: [Transfer.self, Video.self, Serve.self, Devices.self, Bench.self, Tune.self, SelfTestCommand.self, Weights.self, Plot.self, Activations.self, Gram.self,
                      Example.self, Sheet.self])

    /// Makes the process-wide library settings, then parses and runs a command. `--help` and `--version` exit 0 as usual; any error,
    /// from the parser or the command, prints one plain line on stderr and exits 1 (no
    /// usage block, no stack trace), as README.md ("Using `nst`") promises for bad input.
    static func main() {
        // PoCL links the kernels it compiles with `ld`, found through PATH; run with none (`env -i`,
        // a cron job, a service), it aborted the process. The shells' default search path instead.
        if (ProcessInfo.processInfo.environment["PATH"] ?? "").isEmpty { setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1) }
        ProcessSettings.useSingleThreadedOpenBLAS()
        let signalSources = Signals.install()
        defer { withExtendedLifetime(signalSources) {} }
        do {
            if let badName = ArgumentEncodingError.check(ArgumentEncodingError.processArguments()) { throw badName }
            try ProcessSettings.useCPUKernels(fromEnvironment: ProcessInfo.processInfo.environment)
            try ProcessSettings.useTuningPolicy(fromEnvironment: ProcessInfo.processInfo.environment)
            var command = try parseAsRoot()
            try command.run()
            // A listing or report that did not reach its reader is a failure, not a success.
            if Console.standardOutputFailed {
                Console.error("nst: error: standard output could not be written (a full disk, or a closed or full descriptor)\n")
                Foundation.exit(1)
            }
        } catch let error as TransferError {
            guard case let .stopped(signal, _) = error else { fail(error) }
            Console.error("nst: \(error)\n")
            Foundation.exit(Signals.exitStatus(signal))
        } catch {
            fail(error)
        }
    }

    /// Prints `error` as one plain line and exits 1 (exit 0 for --help and --version).
    static func fail(_ error: any Error) -> Never {
        if exitCode(for: error) == .success {
            // --help and --version: written with a checked write, so a full or closed
            // standard output gives status 1, not a silent 0.
            let text = fullMessage(for: error)
            guard text.isEmpty || Console.out(text.hasSuffix("\n") ? text : text + "\n") else {
                Console.error("nst: error: standard output could not be written\n")
                Foundation.exit(1)
            }
            Foundation.exit(0)
        }
        let text = message(for: error).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        Console.error("nst: error: \(text)\n")
        Foundation.exit(1)
    }
}
