// DownloadPart: the locked NAME.part file a download writes into, and the only things a fetch ever removes or renames.
import Foundation
import NSTCore
#if canImport(Glibc)
import Glibc
#endif

/// `NAME.part` in the cache, opened and locked (`flock`) for one fetch. A second fetch of
/// the same name finds the lock taken and stops at once, instead of writing into the same
/// bytes and then failing to rename a part the first one already moved. The only files a
/// fetch removes or replaces are this part (`remove`) and `NAME` (`moveIntoPlace`, a
/// rename(2) that never removes a folder).
final class DownloadPart {
    let path: String
    let handle: FileHandle
    private let fd: Int32

    /// Opens (creating) and locks `folder/fileName.part`.
    /// - Throws: `FetchError` when another fetch holds it, or it cannot be opened as a
    ///   regular file (a symbolic link is not followed).
    init(folder: URL, fileName: String) throws {
        path = folder.appendingPathComponent(fileName + ".part").path
        // A fetch that finishes renames its part away between our open and our lock; the
        // inode we then lock is no longer NAME.part, so open again (a few times at most).
        for _ in 0..<4 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw FetchError("cannot write \(path): \(String(cString: strerror(errno)))") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let busy = errno == EWOULDBLOCK
                close(fd)
                throw FetchError(busy ? "another fetch of \(fileName) is running (it holds \(path))" : "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            var opened = stat(), named = stat()
            guard fstat(fd, &opened) == 0, (opened.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw FetchError("\(path) is not a regular file")
            }
            if stat(path, &named) == 0, named.st_ino == opened.st_ino, named.st_dev == opened.st_dev {
                self.fd = fd
                handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
                return
            }
            close(fd)
        }
        throw FetchError("another fetch of \(fileName) is running (\(path) keeps changing)")
    }

    /// The bytes the part holds.
    var size: Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Cuts the part to `offset` bytes (0: start the download over) and puts the next write there.
    func write(from offset: Int64 = 0) throws {
        do { try handle.truncate(atOffset: UInt64(max(offset, 0))) } catch {
            throw FetchError("cannot write \(path): \(ErrorWords.describe(error))")
        }
    }

    /// Removes the part (the lock goes with the descriptor when this is released).
    func remove() { unlink(path) }

    /// Renames the part to `final`, replacing a file of that name; a folder there is an
    /// error, never removed.
    func moveIntoPlace(_ final: URL) throws {
        try? handle.synchronize()
        guard rename(path, final.path) == 0 else {
            throw FetchError("cannot move \(path) to \(final.path): \(String(cString: strerror(errno)))")
        }
    }

    /// The bytes free to this user on the file system holding `folder`, or nil when unknown.
    static func freeBytes(in folder: URL) -> Int64? {
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int64(clamping: info.f_bavail).multipliedReportingOverflow(by: Int64(clamping: info.f_frsize))
        return overflow ? Int64.max : bytes
    }
}
