// WeightsDownloader: HTTP(S) download into the cache with resume (Range), a size bound, a lock per name, progress, and a SHA-256 check before the file is moved into place.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NSTCore

/// A failed download, in one line.
public struct FetchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Downloads one file into a folder.
///
/// The bytes go to `NAME.part` beside the final name, locked for the fetch (a second fetch
/// of the same name stops at once). A download that breaks off (network error, dropped
/// connection) leaves the part, and the next fetch asks the server for the rest with
/// `Range: bytes=N-`; the part is continued only when the server answers 206 with a
/// Content-Range starting at N, and otherwise started over. An HTTP error, a size past
/// the limit or the free space, or a failed write leaves no part. When all bytes are there
/// the SHA-256 is computed; on a mismatch the part is deleted, otherwise it is renamed to
/// `NAME`. Nothing but `NAME.part` and `NAME` is ever removed or replaced.
public enum WeightsDownloader {
    /// Progress: bytes so far and the total when known.
    public typealias Progress = (_ done: Int64, _ total: Int64?) -> Void

    /// The size limit of a download whose size nothing else bounds: 2 GiB, over three
    /// times the largest VGG file.
    public static let defaultMaxBytes: Int64 = 2 << 30

    /// Fetches `url` to `folder/fileName`, checking the SHA-256 against `sha256` (a full
    /// digest or a leading prefix of at least 8 hex digits; nil: unchecked). The download
    /// is refused when the server announces more than `maxBytes` (called `limitName` in
    /// messages) or than the cache's file system has free, and stopped when the body passes
    /// the announced size or `maxBytes`. Returns the final path and the digest.
    /// - Throws: `FetchError` with one line for a bad file name or digest, another fetch of
    ///   the same name, a network failure, an HTTP error status, a size past the limit, a
    ///   checksum mismatch or a file that cannot be written; `TransferError.stopped` when
    ///   `stop` was requested (the part kept for a resume).
    @discardableResult
    public static func fetch(url: URL, to folder: URL, fileName: String, sha256: String?,
                             maxBytes: Int64 = defaultMaxBytes, limitName: String = "the size limit",
                             timeout: TimeInterval = 60, stop: StopRequest? = nil, progress: Progress? = nil) throws -> (path: URL, sha256: String) {
        if let problem = WeightsCache.fileNameProblem(fileName) { throw FetchError("file name '\(fileName)': \(problem)") }
        if let sha256, let problem = digestProblem(sha256) { throw FetchError("SHA-256 '\(sha256)': \(problem)") }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create the cache folder \(folder.path): \(ErrorWords.describe(error))")
        }
        let part = try DownloadPart(folder: folder, fileName: fileName)
        var startedOver = false
        while true {
            let have = part.size
            var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
            if have > 0 { request.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
            let delegate = DownloadDelegate(part: part, have: have, limit: maxBytes, limitName: limitName,
                                            freeBytes: DownloadPart.freeBytes(in: folder), progress: progress)
            let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
            let task = session.dataTask(with: request)
            task.resume()
            // A stop request cancels the transfer; what arrived stays in the part for the next fetch to resume.
            while delegate.done.wait(timeout: .now() + 0.1) == .timedOut {
                if stop?.signal != nil { task.cancel() }
            }
            session.finishTasksAndInvalidate()
            if let signal = stop?.signal {
                if part.size == 0 { part.remove() }
                let kept = part.size > 0 ? "the \(part.size) bytes so far are kept, and the same fetch resumes them" : "nothing was kept"
                throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)) while fetching \(fileName); \(kept)")
            }
            switch delegate.outcome ?? .finished {
            case .finished:
                break
            case .startOver where !startedOver && have > 0:
                // Ask once more without Range, into an empty part.
                startedOver = true
                try part.write(from: 0)
                continue
            case .startOver:
                part.remove()
                throw FetchError("download of \(url.absoluteString) failed: the server answered a request for the whole file as if for a part")
            case let .refused(message):
                part.remove()
                throw FetchError(message)
            case let .interrupted(message):
                // An empty part has nothing to resume (the server was never reached).
                if part.size == 0 { part.remove() }
                throw FetchError(message)
            }
            break
        }
        let digest = try hash(part)
        if let want = sha256?.lowercased(), !digest.hasPrefix(want) {
            part.remove()
            throw FetchError("\(fileName): SHA-256 \(digest) does not match the expected \(want); the download was deleted")
        }
        let final = folder.appendingPathComponent(fileName)
        try part.moveIntoPlace(final)
        return (final, digest)
    }

    /// Why `hex` is not a SHA-256 to check against, or nil: 64 hex digits, or a leading
    /// prefix of at least 8 (torch hub's file names carry 8). An empty or one-digit value
    /// would match nearly any file, so it is refused rather than taken as no check.
    public static func digestProblem(_ hex: String) -> String? {
        let isHex = hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
        guard isHex, (8...64).contains(hex.utf8.count) else {
            return "want 64 hex digits, or a leading prefix of at least 8"
        }
        return nil
    }

    /// The SHA-256 of the part, read from its start.
    private static func hash(_ part: DownloadPart) throws -> String {
        guard let reader = FileHandle(forReadingAtPath: part.path) else { throw FetchError("cannot read \(part.path)") }
        defer { try? reader.close() }
        var hash = SHA256()
        while true {
            let chunk: Data
            do { chunk = try reader.read(upToCount: 1 << 20) ?? Data() } catch {
                throw FetchError("cannot read \(part.path): \(ErrorWords.describe(error))")
            }
            if chunk.isEmpty { break }
            hash.update([UInt8](chunk))
        }
        return hash.hexDigest()
    }
}
