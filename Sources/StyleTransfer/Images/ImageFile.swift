// ImageFile: reading a whole file, and the library's one atomic file write (temporary file + rename), with errors naming the file.
import NSTCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File access for images through POSIX calls, so that each failure can be
/// reported precisely (missing file, missing folder, permissions) by errno.
enum ImageFile {
    /// How many leading bytes `contents(of:checkingPrefix:)` hands to its check.
    static let prefixLength = 8

    /// The whole contents of the file at `path`. `checkPrefix`, when given, sees the first
    /// `prefixLength` bytes as soon as they are read (files shorter than that are returned
    /// unchecked) and may throw: an endless stream that is not an image (`/dev/zero`, a
    /// device) is then refused before it fills memory.
    static func contents(of path: String, checkingPrefix checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        // O_NONBLOCK: opening a named pipe no program writes to would otherwise wait forever;
        // reads block again once it is open (a pipe with no writer then reads as empty).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            let kind: ImageError.Kind = code == ENOENT ? .fileNotFound : .unreadable
            throw ImageError(kind, path: path, code == ENOENT ? "no such file" : "cannot open: \(describe(code))")
        }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageError(.unreadable, path: path, "cannot read: \(describe(errno))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ImageError(.unreadable, path: path, "is a folder, not an image file")
        }
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
        var filled = 0
        var prefixChecked = checkPrefix == nil
        while true {
            if !prefixChecked, filled >= prefixLength, let checkPrefix {
                prefixChecked = true
                try checkPrefix(Array(bytes[..<prefixLength]))
            }
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 4096))) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImageError(.unreadable, path: path, "cannot read: \(describe(errno))")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder that is
    /// renamed into place, so that `path` either keeps its old contents or gets
    /// all of the new ones; the temporary file is removed on every failure.
    /// Refuses to replace a folder or a special file (a device, pipe or socket).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let folder = folderName(of: path)
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard !name.isEmpty else {
            throw ImageError(.notWritable, path: path, "cannot write: the path names a folder, not a file")
        }
        if let problem = replacementProblem(path) {
            throw ImageError(.notWritable, path: path, "cannot write: \(problem)")
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
            throw ImageError(.notWritable, path: path, reason)
        }
        defer { TemporaryFiles.unregister(temporary) }
        do {
            try writeAll(bytes, to: fd, path: path)
            // mkstemp-style private mode (0600) is not what an output needs: it is an ordinary file.
            _ = fchmod(fd, 0o644)
            // The data reaches the disk before the rename makes it visible: after a crash the
            // name holds the old file or the whole new one, never an empty one.
            guard fsync(fd) == 0 || errno == EINVAL else { throw ImageError(.notWritable, path: path, "cannot write: \(describe(errno))") }
            let closed = close(fd)
            guard closed == 0 else { throw ImageError(.notWritable, path: path, "cannot write: \(describe(errno))") }
        } catch {
            _ = close(fd)
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            _ = unlink(temporary)
            let reason = code == EISDIR ? "cannot write: it is a folder" : "cannot write: \(describe(code))"
            throw ImageError(.notWritable, path: path, reason)
        }
        syncFolder(folder)
    }

    /// The longest file name the atomic write accepts: the file system's 255 bytes less the
    /// temporary name's additions (a leading dot and `.tmp-` with 6 characters).
    static let maxNameLength = 255 - 12

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
                write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImageError(.notWritable, path: path, "cannot write: \(describe(errno))")
            }
            written += count
        }
    }

    /// Why the thing at `path` must not be replaced by a new file, or nil when nothing is
    /// there or it is a regular file. A rename would swap out a device such as /dev/null
    /// (as root) or a pipe another program reads, rather than write into it.
    static func replacementProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "it is a folder"
        default: return "it is a device, pipe or socket, not a regular file"
        }
    }

    /// The folder part of `path` ("." for a bare file name, "/" for a file at the root).
    static func folderName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}
