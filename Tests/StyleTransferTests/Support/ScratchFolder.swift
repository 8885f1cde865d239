// ScratchFolder: a fresh, uniquely named temporary folder for tests that write files.
import Foundation

/// Creates `<tmp>/nst-<purpose>-<UUID>`; the caller removes it when done.
func makeScratchFolder(_ purpose: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("nst-\(purpose)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
