// ImageFile: reading a whole file, and the atomic write with errors naming the file as image errors.
import NSTCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File access for images through POSIX calls, so that each failure can be
/// reported precisely (missing file, missing folder, permissions) by errno.
package enum ImageFile {
    /// The most bytes an image file may have: a 16384-pixel square of 16-bit RGBA, stored
    /// uncompressed, with room to spare. A longer file (a sparse one, or a stream that never
    /// ends) is refused rather than read until memory runs out.
    package static let imageByteLimit = 3 << 30

    /// How many leading bytes `contents(of:checkingPrefix:)` hands to its check.
    package static let prefixLength = 8

    /// The whole contents of the file at `path`. `checkPrefix`, when given, sees the first
    /// `prefixLength` bytes as soon as they are read (files shorter than that are returned
    /// unchecked) and may throw: an endless stream that is not an image (`/dev/zero`, a
    /// device) is then refused before it fills memory.
    /// - Parameter limit: the most bytes read (`imageByteLimit` unless given); the file's
    ///   size is checked against it before reading, a stream's length while reading, and
    ///   neither may exceed what memory allows.
    package static func contents(of path: String, limit: Int = imageByteLimit, what: String = "an image file",
                                 checkingPrefix checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
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
            throw ImageError(.unreadable, path: path, "is a folder, not \(what)")
        }
        let limit = min(limit, max(AvailableMemory.allocatableBytes() / 2, 1 << 20))
        func tooLong(_ size: Int) -> ImageError {
            ImageError(.unreadable, path: path, "is \(Self.megabytes(size)) or more; \(what) may have at most \(Self.megabytes(limit)) here")
        }
        guard Int(info.st_size) <= limit else { throw tooLong(Int(info.st_size)) }
        var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
        var filled = 0
        var prefixChecked = checkPrefix == nil
        while true {
            if !prefixChecked, filled >= prefixLength, let checkPrefix {
                prefixChecked = true
                try checkPrefix(Array(bytes[..<prefixLength]))
            }
            if filled == bytes.count {
                guard filled <= limit else { throw tooLong(filled) }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: min(max(bytes.count, 4096), limit + 1 - filled + 4096)))
            }
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

    /// `bytes` in MB, for messages.
    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    /// Writes `bytes` to `path` atomically (`AtomicWrite.write`), failures as `ImageError`.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicWrite.write(bytes, to: path) } catch let error as FileWriteError {
            throw ImageError(.notWritable, path: path, error.reason)
        }
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}
