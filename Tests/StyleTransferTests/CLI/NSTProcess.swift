// NSTProcess: runs the built `nst` executable in a test and captures its exit status and output.
import Foundation
import XCTest

/// The result of one `nst` run.
struct NSTResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Non-empty stderr lines.
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

/// Thrown (so the test fails, never skips) when the `nst` executable was not built.
struct MissingExecutable: Error, CustomStringConvertible {
    var description: String { "the nst executable was not found next to the test bundle; run `swift build` first" }
}

enum NSTProcess {
    /// The `nst` built next to the test bundle (`swift build` / `swift test` put both in
    /// the same products folder), or nil.
    static let executable: URL? = {
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        candidates += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        return candidates.map { $0.appendingPathComponent("nst") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs `nst arguments` in `folder` and waits for it; the environment is `environment`
    /// (default: this process's) with the tests' own cache folder (`TestCache`).
    static func run(_ arguments: [String], in folder: URL, environment: [String: String]? = nil) throws -> NSTResult {
        guard let executable else { throw MissingExecutable() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = TestCache.environment(environment)
        // Output goes to files, read after exit: no pipe can fill up and block the child.
        let outURL = folder.appendingPathComponent("../\(UUID().uuidString).out").standardizedFileURL
        let errURL = folder.appendingPathComponent("../\(UUID().uuidString).err").standardizedFileURL
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
        return NSTResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}
