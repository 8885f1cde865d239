// DownloadDelegate: receives one HTTP response into the part file, deciding from its status, Content-Range and size whether to append, start over or stop.
import Foundation
import NSTCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How one request ended.
enum DownloadOutcome {
    /// Every byte announced arrived (or the body ended with none announced).
    case finished
    /// The server would not continue the part (no 206 with a matching Content-Range): empty it and ask again without Range.
    case startOver
    /// A refusal that leaves nothing: an HTTP error, a size past the limit, a failed write. The part is removed.
    case refused(String)
    /// The transfer broke off; the part keeps what arrived, for a later fetch to resume.
    case interrupted(String)
}

/// Receives the response into the part. Callbacks come one at a time on the session's
/// queue; `fetch` reads the fields after `done` is signalled.
final class DownloadDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let part: DownloadPart
    let have: Int64
    let limit: Int64, limitName: String
    let freeBytes: Int64?
    let progress: WeightsDownloader.Progress?
    let done = DispatchSemaphore(value: 0)
    private(set) var outcome: DownloadOutcome?
    private(set) var written: Int64 = 0
    /// The file's whole size when the response says it.
    private var total: Int64?

    init(part: DownloadPart, have: Int64, limit: Int64, limitName: String, freeBytes: Int64?, progress: WeightsDownloader.Progress?) {
        self.part = part
        self.have = have
        self.limit = limit
        self.limitName = limitName
        self.freeBytes = freeBytes
        self.progress = progress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        let code = http?.statusCode ?? 200
        let length: Int64? = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        let source = response.url?.absoluteString ?? "?"
        var appending = false
        switch code {
        case 206 where have > 0:
            // Resume only when the server continues exactly where the part ends.
            guard let range = ContentRange(http?.value(forHTTPHeaderField: "Content-Range")), range.first == have,
                  length.map({ $0 == range.last - range.first + 1 }) ?? true, range.total.map({ $0 == range.last + 1 }) ?? true else {
                return stop(.startOver, completionHandler)
            }
            appending = true
            total = range.total ?? (range.last + 1)
        case 416 where have > 0:
            return stop(.startOver, completionHandler)
        case 200, 203:
            total = length
        default:
            return stop(.refused("download of \(source) failed: HTTP \(code)"), completionHandler)
        }
        if let total, total > limit {
            return stop(.refused("download of \(source): the server announces \(total) bytes, more than \(limitName) (\(Self.size(limit))); nothing was kept"), completionHandler)
        }
        let start = appending ? have : 0
        if let total, let freeBytes, total - start > freeBytes {
            return stop(.refused("download of \(source): the server announces \(total) bytes, but only \(Self.size(freeBytes)) are free for the cache; nothing was kept"), completionHandler)
        }
        do { try part.write(from: start) } catch { return stop(.refused("\(error)"), completionHandler) }
        written = start
        progress?(written, total)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard outcome == nil else { return }
        let bound = min(total ?? limit, limit)
        guard Int64(data.count) <= bound - written else {
            let what = total.map { "more than the \($0) bytes it announced" } ?? "more than \(limitName) (\(Self.size(limit)))"
            outcome = .refused("download of \(dataTask.originalRequest?.url?.absoluteString ?? "?"): the server sent \(what); nothing was kept")
            return dataTask.cancel()
        }
        do {
            try part.handle.write(contentsOf: data)
            written += Int64(data.count)
            progress?(written, total)
        } catch {
            outcome = .refused("cannot write the download to \(part.path): \(ErrorWords.describe(error)); nothing was kept")
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if outcome == nil {
            let source = task.originalRequest?.url?.absoluteString ?? "?"
            if let error {
                outcome = .interrupted("download of \(source) failed after \(written) bytes: \(ErrorWords.describe(error)) (run the same fetch again to resume)")
            } else if let total, written < total {
                outcome = .interrupted("download of \(source) failed: connection closed at \(written) of \(total) bytes (run the same fetch again to resume)")
            } else {
                outcome = .finished
            }
        }
        done.signal()
    }

    private func stop(_ outcome: DownloadOutcome, _ completionHandler: (URLSession.ResponseDisposition) -> Void) {
        self.outcome = outcome
        completionHandler(.cancel)
    }

    /// `2.0 GiB`, one decimal.
    static func size(_ bytes: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A `Content-Range: bytes FIRST-LAST/TOTAL` header (TOTAL may be `*`).
struct ContentRange: Equatable {
    let first: Int64, last: Int64, total: Int64?

    init?(_ header: String?) {
        guard let header, header.lowercased().hasPrefix("bytes ") else { return nil }
        let parts = header.dropFirst("bytes ".count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = Int64(bounds[0].trimmingCharacters(in: .whitespaces)),
              let last = Int64(bounds[1].trimmingCharacters(in: .whitespaces)), first >= 0, last >= first, last < Int64.max else { return nil }
        let totalText = parts[1].trimmingCharacters(in: .whitespaces)
        if totalText == "*" { total = nil } else {
            guard let total = Int64(totalText), total > last else { return nil }
            self.total = total
        }
        self.first = first
        self.last = last
    }
}
