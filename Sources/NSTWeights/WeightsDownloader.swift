// WeightsDownloader: HTTP(S) download into the cache with resume (Range), progress, and a SHA-256 check before the file is moved into place.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import NSTCore
#endif

/// A failed download, in one line.
public struct FetchError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Downloads one file into a folder.
///
/// The bytes go to `NAME.part` beside the final name. A download that stops (network error,
/// dropped connection) leaves the `.part` file, and the next fetch of the same name asks the
/// server for the rest with `Range: bytes=N-` (a server that answers 200 instead of 206
/// sends the whole file again, which replaces the part). When all bytes are there the
/// SHA-256 is computed; on a mismatch the part is deleted and nothing is left in the
/// cache, otherwise it is renamed to `NAME`.
public enum WeightsDownloader {
    /// Progress: bytes so far and the total when known.
    public typealias Progress = (_ done: Int64, _ total: Int64?) -> Void

    /// Fetches `url` to `folder/fileName`, checking the SHA-256 against `sha256` (a full
    /// digest or a leading prefix, hex; nil: unchecked). Returns the final path and the digest.
    /// - Throws: `FetchError` with one line for a network failure, an HTTP error status, a
    ///   checksum mismatch or a file that cannot be written.
    @discardableResult
    public static func fetch(url: URL, to folder: URL, fileName: String, sha256: String?,
                             timeout: TimeInterval = 60, progress: Progress? = nil) throws -> (path: URL, sha256: String) {
        let fm = FileManager.default
        do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw FetchError("cannot create the cache folder \(folder.path): \(error.localizedDescription)")
        }
        let final = folder.appendingPathComponent(fileName)
        let part = folder.appendingPathComponent(fileName + ".part")
        if !fm.fileExists(atPath: part.path), !fm.createFile(atPath: part.path, contents: nil) {
            throw FetchError("cannot create \(part.path)")
        }
        guard let handle = try? FileHandle(forWritingTo: part) else { throw FetchError("cannot write \(part.path)") }
        defer { try? handle.close() }
        let have = Int64((try? handle.seekToEnd()) ?? 0)

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        if have > 0 { request.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
        let delegate = Delegate(handle: handle, have: have, progress: progress)
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        session.dataTask(with: request).resume()
        delegate.done.wait()
        session.finishTasksAndInvalidate()

        if let status = delegate.status, status == 416, have > 0 {
            // The part already holds every byte: check it below.
        } else if let failure = delegate.failure {
            throw FetchError(failure)
        } else if let error = delegate.error {
            throw FetchError("download of \(url.absoluteString) failed after \(delegate.written) bytes: \((error as? FetchError)?.description ?? error.localizedDescription) (run the same fetch again to resume)")
        }
        try? handle.synchronize()

        var hash = SHA256()
        guard let reader = try? FileHandle(forReadingFrom: part) else { throw FetchError("cannot read \(part.path)") }
        defer { try? reader.close() }
        while let chunk = try? reader.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update([UInt8](chunk)) }
        let digest = hash.hexDigest()
        if let want = sha256?.lowercased(), !digest.hasPrefix(want) {
            try? fm.removeItem(at: part)
            throw FetchError("\(fileName): SHA-256 \(digest) does not match the expected \(want); the download was deleted")
        }
        try? fm.removeItem(at: final)
        do { try fm.moveItem(at: part, to: final) } catch {
            throw FetchError("cannot move \(part.path) to \(final.path): \(error.localizedDescription)")
        }
        return (final, digest)
    }

    /// Receives the response into the part file.
    private final class Delegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let handle: FileHandle
        let have: Int64
        let progress: Progress?
        let done = DispatchSemaphore(value: 0)
        var status: Int?
        var failure: String?
        var error: Error?
        var written: Int64 = 0
        var total: Int64?
        var appending = true

        init(handle: FileHandle, have: Int64, progress: Progress?) {
            self.handle = handle
            self.have = have
            self.progress = progress
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            let code = http?.statusCode ?? 200
            status = code
            switch code {
            case 206:
                appending = true
            case 200:
                // Whole file: start the part again.
                appending = false
                try? handle.truncate(atOffset: 0)
            default:
                if code != 416 { failure = "download of \(response.url?.absoluteString ?? "?") failed: HTTP \(code)" }
                completionHandler(.cancel)
                return
            }
            let length = response.expectedContentLength
            total = length >= 0 ? length + (appending ? have : 0) : nil
            written = appending ? have : 0
            progress?(written, total)
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            do {
                try handle.write(contentsOf: data)
                written += Int64(data.count)
                progress?(written, total)
            } catch {
                failure = "cannot write the download: \(error.localizedDescription)"
                dataTask.cancel()
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if failure == nil, status != 416 { self.error = error }
            if error == nil, failure == nil, let total, written < total {
                self.error = FetchError("connection closed at \(written) of \(total) bytes")
            }
            done.signal()
        }
    }
}
