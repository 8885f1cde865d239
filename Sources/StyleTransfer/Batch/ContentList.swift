// ContentList: the contents of a batch: content arguments (files, folders, glob patterns) expanded to a sorted list of files.
import Foundation
import NSTCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The content images a run is given: each content argument is a file, a folder (its
/// image files, by extension) or a glob pattern (`photos/*.jpg`). The list is sorted by path
/// and has no repeats, so shards of it are the same on every machine.
public enum ContentList {
    /// The extensions a folder's image files have (case-insensitive).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff"]

    /// The files `arguments` name, sorted and without repeats. A plain path is kept as it
    /// is (whether it exists is checked with the run's other inputs).
    /// - Throws: `TransferError.file` naming the content option for a folder without images
    ///   or a pattern that matches nothing.
    public static func expand(_ arguments: [String]) throws -> [String] {
        var files: [String] = []
        for argument in arguments {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder), isFolder.boolValue {
                let names = try? FileManager.default.contentsOfDirectory(atPath: argument)
                let images = (names ?? []).filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                guard !images.isEmpty else {
                    throw TransferError.file(.content, path: argument, problem: "is a folder with no image files (\(imageExtensions.sorted().map { "." + $0 }.joined(separator: ", ")))")
                }
                files += images.map { (argument as NSString).appendingPathComponent($0) }
            } else if isPattern(argument), !FileManager.default.fileExists(atPath: argument) {
                let matches = glob(argument)
                guard !matches.isEmpty else { throw TransferError.file(.content, path: argument, problem: "matches no file") }
                files += matches
            } else {
                files.append(argument)
            }
        }
        return Array(Set(files)).sorted()
    }

    /// Whether `path` has glob characters.
    static func isPattern(_ path: String) -> Bool { path.contains { "*?[".contains($0) } }

    /// The regular files `pattern` matches, by glob(3).
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in
            guard let path = result.gl_pathv[i].map({ String(cString: $0) }) else { return nil }
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue ? path : nil
        }
    }
}

/// One shard of a list: the `index`-th of `count` (1-based), holding every `count`-th item
/// from the `index`-th on, so `1/N` to `N/N` split the list exactly.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// Which shard, 1 to `count`.
    public let index: Int
    /// How many shards.
    public let count: Int

    /// `K/N`, or `auto` for Slurm's job-array variables in `environment`
    /// (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_MIN` and `_MAX`, or `_COUNT`).
    /// - Throws: `TransferError.option` naming the shard option.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if text == "auto" {
            func number(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
            guard let id = number("SLURM_ARRAY_TASK_ID") else {
                throw TransferError.invalid(.shard, "auto needs SLURM_ARRAY_TASK_ID (set in each task of a Slurm job array)")
            }
            let minimum = number("SLURM_ARRAY_TASK_MIN") ?? 0
            guard let count = number("SLURM_ARRAY_TASK_COUNT") ?? number("SLURM_ARRAY_TASK_MAX").map({ $0 - minimum + 1 }) else {
                throw TransferError.invalid(.shard, "auto needs SLURM_ARRAY_TASK_MAX or SLURM_ARRAY_TASK_COUNT beside SLURM_ARRAY_TASK_ID")
            }
            try self.init(index: id - minimum + 1, count: count, shown: "auto (SLURM_ARRAY_TASK_ID \(id))")
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw TransferError.invalid(.shard, "expected K/N (e.g. 1/4) or auto, got '\(text)'")
        }
        try self.init(index: index, count: count, shown: text)
    }

    /// Shard `index` of `count`.
    /// - Throws: `TransferError.option` naming the shard option unless 1 <= index <= count.
    package init(index: Int, count: Int) throws { try self.init(index: index, count: count, shown: "\(index)/\(count)") }

    private init(index: Int, count: Int, shown: String) throws {
        guard count >= 1, (1...count).contains(index) else {
            throw TransferError.invalid(.shard, "\(shown) gives shard \(index) of \(count); want 1 to N of N >= 1")
        }
        self.index = index
        self.count = count
    }

    /// This shard's items of `list`.
    public func of<T>(_ list: [T]) -> [T] {
        list.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    public var description: String { "\(index)/\(count)" }
}
