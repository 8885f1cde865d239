// RegularFile: opens a weights file for reading only when it is a regular file, so a named pipe or device never blocks or streams forever.
import Foundation
import NSTCore
#if canImport(Glibc)
import Glibc
#endif

/// Opening for the weights readers. They seek and read by offset, so only a regular file
/// will do: opening a named pipe no program writes to waits forever, and a device such as
/// /dev/zero reads without end.
enum RegularFile {
    /// A handle on `url`, opened without blocking and checked with `fstat` on the opened
    /// descriptor (no window between the check and the open).
    /// - Throws: `WeightsError` naming the file when it is missing, unreadable, a folder,
    ///   or not a regular file.
    static func open(_ url: URL) throws -> FileHandle {
        let path = url.path
        // O_NONBLOCK: a FIFO without a writer would otherwise block in open(2) itself.
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw WeightsError(file: path, problem: errno == ENOENT ? "no such file" : "cannot be read")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw WeightsError(file: path, problem: "cannot be read")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        case S_IFDIR:
            close(fd)
            throw WeightsError(file: path, problem: "is a folder, not a weights file")
        default:
            close(fd)
            throw WeightsError(file: path, problem: "is a device, pipe or socket, not a regular file")
        }
    }
}
