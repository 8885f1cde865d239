// LoopbackHTTPServer: a minimal HTTP/1.1 server on 127.0.0.1 for the fetch tests (Range, errors, dropped connections, huge or endless bodies).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Serves one file on 127.0.0.1 at an ephemeral port, one connection at a time, on a
/// background thread, for at most `maxConnections` connections. Written on POSIX sockets
/// rather than taken from FlyingFox or Hummingbird because the tests need byte-level
/// control that those do not give simply (a response cut off halfway, then the connection
/// closed) and because it costs no build time.
final class LoopbackHTTPServer: @unchecked Sendable {
    /// `status`: that code with a short text body; `announce`: 200 with that Content-Length,
    /// then a little of the body and the connection closed; `endless`: 200 without a
    /// Content-Length, bytes until the client goes; `wrongContentRange`: a Range request
    /// answered 206 with the whole file's range (bytes 0-...); `stall`: 200 with the whole
    /// Content-Length, half the body, then nothing until the client goes (or 30 s pass).
    enum Mode { case serve, dropHalfway, status(Int), ignoreRange, announce(Int64), endless, wrongContentRange, stall }
    let port: UInt16
    private let socketFD: Int32
    private let body: [UInt8]
    private let lock = NSLock()
    private var _mode: Mode
    private var _rangeHeaders: [String?] = []
    var mode: Mode { get { lock.withLock { _mode } } set { lock.withLock { _mode = newValue } } }
    /// The Range header of each request served, nil where none.
    var rangeHeaders: [String?] { lock.withLock { _rangeHeaders } }
    var url: URL { URL(string: "http://127.0.0.1:\(port)/weights.bin")! }

    init(body: [UInt8], mode: Mode, maxConnections: Int = 8) throws {
        self.body = body
        _mode = mode
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        socketFD = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in
            for _ in 0..<maxConnections {
                let client = accept(socketFD, nil, nil)
                if client < 0 { return }
                handle(client)
                close(client)
            }
        }
        thread.start()
    }

    deinit { shutdown(socketFD, Int32(SHUT_RDWR)); close(socketFD) }

    private func handle(_ client: Int32) {
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: Array("\r\n\r\n".utf8)) {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            request += buffer[0..<n]
            if request.count > 65536 { return }
        }
        let text = String(decoding: request, as: UTF8.self)
        let range = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("range:") }
            .map { String($0.dropFirst("range:".count)).trimmingCharacters(in: .whitespaces) }
        lock.withLock { _rangeHeaders.append(range) }
        // MSG_NOSIGNAL: a client that hangs up must not raise SIGPIPE in the test process.
        @discardableResult func send(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBufferPointer { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
        func head(_ status: String, _ length: Int64?, _ extra: String = "") {
            let size = length.map { "Content-Length: \($0)\r\n" } ?? ""
            send(Array("HTTP/1.1 \(status)\r\n\(size)Connection: close\r\n\(extra)\r\n".utf8))
        }
        switch mode {
        case let .status(code):
            let text = Array("<html>error \(code)</html>\n".utf8)
            head("\(code) Error", Int64(text.count))
            send(text)
        case let .announce(length):
            head("200 OK", length)
            send(Array(body.prefix(65536)))
        case .endless:
            head("200 OK", nil)
            let chunk = [UInt8](repeating: 0x5A, count: 65536)
            while send(chunk) {}
        case .wrongContentRange:
            if range != nil {
                head("206 Partial Content", Int64(body.count), "Content-Range: bytes 0-\(body.count - 1)/\(body.count)\r\n")
            } else {
                head("200 OK", Int64(body.count))
            }
            send(body)
        case .dropHalfway:
            head("200 OK", Int64(body.count))
            send(Array(body[0..<body.count / 2]))
        case .stall:
            head("200 OK", Int64(body.count))
            send(Array(body[0..<body.count / 2]))
            // Until the client hangs up: a read of 0 (or an error) after its request.
            var pollFD = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            _ = poll(&pollFD, 1, 30_000)
        case .serve, .ignoreRange:
            var start = 0
            if case .serve = mode, let range, range.hasPrefix("bytes="), let from = Int(range.dropFirst(6).split(separator: "-")[0]) { start = from }
            if start >= body.count, start > 0 {
                head("416 Range Not Satisfiable", 0)
            } else if start > 0 {
                head("206 Partial Content", Int64(body.count - start), "Content-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\n")
                send(Array(body[start...]))
            } else {
                head("200 OK", Int64(body.count))
                send(body)
            }
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
