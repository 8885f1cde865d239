// AtomicWrite: the library's one atomic file write (a registered temporary file, fsync, rename), and the path checks every output shares.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write that failed: the path and what went wrong, in words ("cannot write: ...").
public struct FileWriteError: Error, Equatable, CustomStringConvertible {
    /// The file that was to be written.
    public let path: String
    /// What went wrong, in words.
    public let reason: String
    /// `'path': reason`.
    public var description: String { "'\(path)': \(reason)" }

    /// A failed write of `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Atomic writes for every output of the library (images, loss logs, plots, the OpenCL
/// tuning file and kernel cache): the destination keeps its old contents or gets all of
/// the new ones, and no temporary file is left behind, even when a signal ends the process
/// (`TemporaryFiles`).
public enum AtomicWrite {
    /// Writes `bytes` to `path` through a temporary file in the same folder that is
    /// renamed into place, so that `path` either keeps its old contents or gets
    /// all of the new ones; the temporary file is removed on every failure.
    /// Refuses to replace a folder or a special file (a device, pipe or socket).
    ///
    /// A symbolic link is followed: the file it points to is replaced, atomically, and the
    /// link stays (so `/dev/stdout` redirected to a file writes that file and is never turned
    /// into a regular file itself). A new file gets the mode the umask leaves of 0666; a
    /// replaced file keeps its mode.
    public static func write(_ bytes: [UInt8], to given: String) throws {
        let file = try begin(given)
        do {
            try writeAll(bytes, to: file.descriptor, path: file.path)
        } catch {
            discard(file)
            throw error
        }
        try commit(file)
    }

    /// A temporary file beside an output, open for writing, that `commit` renames into place:
    /// for writers whose bytes come over time through a descriptor (a video encoder) rather
    /// than as one array. Until `commit` or `discard` the temporary file is registered with
    /// `TemporaryFiles`, so a signal that ends the process removes it.
    public struct PendingFile: Equatable, Sendable {
        /// The destination, a symbolic link resolved as `write` resolves it.
        public let path: String
        /// The temporary file beside it (`.<name>.tmp-XXXXXX`).
        public let temporaryPath: String
        /// The temporary file's descriptor, open for writing; `commit` and `discard` close it.
        public let descriptor: Int32
    }

    /// Creates the registered temporary file of an atomic write of `given`, after the checks
    /// `write` makes (not a folder, device, pipe or socket; the folder exists and is writable).
    /// - Throws: `FileWriteError` naming the path.
    public static func begin(_ given: String) throws -> PendingFile {
        let path = try resolvedTarget(given)
        let folder = folderName(of: path)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard !name.isEmpty else {
            throw FileWriteError(path: path, reason: "cannot write: the path names a folder, not a file")
        }
        if let problem = replacementProblem(path) {
            throw FileWriteError(path: path, reason: "cannot write: \(problem)")
        }
        // The temporary name is registered before the file exists, so that a second signal
        // ending the process at once (TemporaryFiles.removeAll) never leaves it behind.
        var temporary = "", fd: Int32 = -1, code: Int32 = 0
        for _ in 0..<100 {
            temporary = TemporaryFiles.uniqueName(prefix: "\(folder)/.\(name).tmp-")
            TemporaryFiles.register(temporary)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            code = errno
            if fd >= 0 { break }
            TemporaryFiles.unregister(temporary)
            if code != EEXIST { break }
        }
        guard fd >= 0 else {
            let reason: String
            switch code {
            case ENOENT, ENOTDIR: reason = "cannot write: folder '\(folder)' does not exist"
            case EACCES, EPERM, EROFS: reason = "cannot write: folder '\(folder)' is not writable"
            case ENAMETOOLONG: reason = "cannot write: the file name is too long (at most \(maxNameLength) bytes)"
            default: reason = "cannot write: \(describe(code))"
            }
            throw FileWriteError(path: path, reason: reason)
        }
        return PendingFile(path: path, temporaryPath: temporary, descriptor: fd)
    }

    /// Gives the temporary file its mode, flushes it to disk, closes it and renames it over
    /// the destination. On failure the temporary file is removed and nothing is renamed.
    /// - Throws: `FileWriteError` naming the destination.
    public static func commit(_ file: PendingFile) throws {
        let path = file.path, temporary = file.temporaryPath, fd = file.descriptor
        defer { TemporaryFiles.unregister(temporary) }
        // mkstemp-style private mode (0600) is not what an output needs: a new file gets
        // what the umask allows, a replaced one keeps its own mode.
        var existing = stat()
        _ = fchmod(fd, stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : 0o666 & ~processUmask)
        // The data reaches the disk before the rename makes it visible: after a crash the
        // name holds the old file or the whole new one, never an empty one. The descriptor
        // is closed exactly once, whatever fails (a second close could close another
        // thread's new descriptor of the same number).
        var failure: Int32 = 0
        if fsync(fd) != 0, errno != EINVAL { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        guard failure == 0 else {
            _ = unlink(temporary)
            throw FileWriteError(path: path, reason: "cannot write: \(describe(failure))")
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            _ = unlink(temporary)
            let reason = code == EISDIR ? "cannot write: it is a folder" : "cannot write: \(describe(code))"
            throw FileWriteError(path: path, reason: reason)
        }
        syncFolder(folderName(of: path))
    }

    /// Closes and removes the temporary file, leaving the destination as it was.
    public static func discard(_ file: PendingFile) {
        _ = close(file.descriptor)
        _ = unlink(file.temporaryPath)
        TemporaryFiles.unregister(file.temporaryPath)
    }

    /// The longest file name the atomic write accepts: the file system's 255 bytes less the
    /// temporary name's additions (a leading dot and `.tmp-` with 6 characters).
    public static let maxNameLength = 255 - 12

    /// Flushes the folder entry of a rename to disk (best effort: some file systems refuse).
    private static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileWriteError(path: path, reason: "cannot write: \(describe(errno))")
            }
            written += count
        }
    }

    /// Why the thing at `path` must not be replaced by a new file, or nil when nothing is
    /// there or it is a regular file. A rename would swap out a device such as /dev/null
    /// (as root) or a pipe another program reads, rather than write into it.
    public static func replacementProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "it is a folder"
        default: return "it is a device, pipe or socket, not a regular file"
        }
    }

    /// The folder part of `path` ("." for a bare file name, "/" for a file at the root).
    public static func folderName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// The process's umask, read once (umask(2) can only be read by setting it, so it is
    /// set back at once, before any output is written).
    private static let processUmask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()

    /// `path`, or for a symbolic link the file it leads to: a regular file (every link
    /// resolved), or a file still to be made in an existing folder. A link to anything else
    /// (a device, a pipe) is returned as it is, for `replacementProblem` to refuse.
    /// - Throws: `FileWriteError` for a link into a missing folder, or a loop of links.
    public static func resolvedTarget(_ path: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return path }
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG, let resolved = realpath(path, nil) else { return path }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        // A link to a file not made yet: follow the links by hand to the name it will have.
        var current = path
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { break }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let next = target.hasPrefix("/") ? target : folderName(of: current) + "/" + target
            guard lstat(next, &info) == 0 else {
                var folder = stat()
                guard stat(folderName(of: next), &folder) == 0, folder.st_mode & S_IFMT == S_IFDIR else {
                    throw FileWriteError(path: path, reason: "cannot write: it is a symbolic link into a missing folder ('\(folderName(of: next))')")
                }
                return next
            }
            guard info.st_mode & S_IFMT == S_IFLNK else { return next }
            current = next
        }
        throw FileWriteError(path: path, reason: "cannot write: it is a symbolic link that leads nowhere (a loop, or more than 40 links)")
    }

    /// Creates and removes a hidden probe file in `folder`: unlike access(2) this also
    /// catches read-only file systems and special folders, and root's permissions.
    public static func canCreateFile(in folder: String) -> Bool {
        let probe = (folder as NSString).appendingPathComponent(".nst-probe-\(ProcessInfo.processInfo.processIdentifier)")
        TemporaryFiles.register(probe)
        defer { TemporaryFiles.unregister(probe) }
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(probe)
        return true
    }

    /// True when `a` and `b` name the same file: same resolved path, or (both existing)
    /// the same device and inode (hard links).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
        if ra == rb { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}
