// InspectPaths: the checks on an inspection command's output path, done before any work.
import Foundation
import NSTImages
import NSTCore

/// Output checks of the inspection commands, the same as `nst transfer`'s: the folder
/// exists and is writable, the file is not a folder or special file, and it is not an input.
public enum InspectPaths {
    /// - Throws: `TransferError.file` naming `role` and `path` for the first problem found.
    public static func checkOutput(_ path: String, role: String, inputs: [(String, String)]) throws {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw TransferError.file(role: role, path: path, problem: "folder '\(folder)' does not exist")
        }
        guard isFolder.boolValue else { throw TransferError.file(role: role, path: path, problem: "'\(folder)' is a file, not a folder") }
        guard AtomicWrite.canCreateFile(in: folder) else {
            throw TransferError.file(role: role, path: path, problem: "folder '\(folder)' is not writable")
        }
        if let problem = AtomicWrite.replacementProblem(path) { throw TransferError.file(role: role, path: path, problem: problem) }
        for (option, input) in inputs where AtomicWrite.sameFile(path, input) {
            throw TransferError.file(role: role, path: path, problem: "is also the \(option) input; inputs are never overwritten")
        }
    }
}
