// NSTShell: runs `nst` under /bin/sh (closed or full stderr, pipes, ulimit) or as a child to signal, for the reliability tests.
import Foundation
import XCTest

enum NSTShell {
    /// Runs `script` with `sh -c` in `folder`, `$NST` naming the built executable; stdout
    /// and stderr of the shell go to files read after it exits.
    static func run(_ script: String, in folder: URL) throws -> NSTResult {
        guard let executable = NSTProcess.executable else { throw MissingExecutable() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = folder
        process.environment = TestCache.environment().merging(["NST": executable.path]) { $1 }
        let (out, err) = try outputs(in: folder, process)
        try process.run()
        process.waitUntilExit()
        return try result(process, out, err)
    }

    /// A running `nst arguments` whose stderr goes to the returned file; the environment as `NSTProcess.run` makes it.
    static func start(_ arguments: [String], in folder: URL, environment: [String: String]? = nil) throws -> (Process, stderr: URL) {
        guard let executable = NSTProcess.executable else { throw MissingExecutable() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = TestCache.environment(environment)
        let (_, err) = try outputs(in: folder, process)
        try process.run()
        return (process, err)
    }

    /// Waits until the file at `url` contains `text` (or `seconds` pass); returns whether it did.
    static func wait(for text: String, in url: URL, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: url.path), String(decoding: data, as: UTF8.self).contains(text) {
                return true
            }
            usleep(20_000)
        }
        return false
    }

    /// Sends `signal` (named `name`) to a started `nst` with nothing to save and checks that
    /// it ends at once: within 10 s, by exit (not the signal), with 128 + signal and the line
    /// "nst: stopped by NAME" on its stderr.
    static func expectStopsAtOnce(_ process: Process, stderr: URL, signal: Int32, name: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let sent = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 10, name, file: file, line: line)
        XCTAssertEqual(process.terminationReason, .exit, name, file: file, line: line)
        XCTAssertEqual(process.terminationStatus, 128 + signal, "\(name): \(text(stderr))", file: file, line: line)
        XCTAssertTrue(text(stderr).contains("nst: stopped by \(name)"), text(stderr), file: file, line: line)
    }

    static func text(_ url: URL) -> String {
        String(decoding: FileManager.default.contents(atPath: url.path) ?? Data(), as: UTF8.self)
    }

    private static func outputs(in folder: URL, _ process: Process) throws -> (URL, URL) {
        let out = folder.appendingPathComponent("../\(UUID().uuidString).out").standardizedFileURL
        let err = folder.appendingPathComponent("../\(UUID().uuidString).err").standardizedFileURL
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        return (out, err)
    }

    private static func result(_ process: Process, _ out: URL, _ err: URL) throws -> NSTResult {
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return NSTResult(status: process.terminationStatus, stdout: text(out), stderr: text(err))
    }
}
