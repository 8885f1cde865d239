// ServeProcess: an `nst serve` started by a test on a free loopback port, its URL read from its first line, stopped at the end; and plain HTTP requests to it (URLSession, or a raw socket for requests URLSession would rewrite).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// A running `nst serve --port 0`.
final class ServeProcess {
    let process: Process
    let url: URL
    let stdout: URL, stderr: URL

    /// Starts `nst serve --port 0 extra` in `folder` and waits (up to 30 s) for its URL line.
    init(_ extra: [String], in folder: URL) throws {
        guard let executable = NSTProcess.executable else { throw MissingExecutable() }
        process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", "0"] + extra
        process.currentDirectoryURL = folder
        process.environment = TestCache.environment()
        stdout = folder.appendingPathComponent("../\(UUID().uuidString).serve-out").standardizedFileURL
        stderr = folder.appendingPathComponent("../\(UUID().uuidString).serve-err").standardizedFileURL
        FileManager.default.createFile(atPath: stdout.path, contents: nil)
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var found: URL?
        while found == nil, Date() < deadline, process.isRunning {
            let text = NSTShell.text(stdout)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("nst serve: ") }) {
                found = URL(string: String(line.dropFirst("nst serve: ".count)))
            }
            usleep(20_000)
        }
        guard let found else {
            process.terminate()
            throw ServeTestError("nst serve did not print its URL: \(NSTShell.text(stdout)) \(NSTShell.text(stderr))")
        }
        url = found
    }

    /// SIGTERM, then waits; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: stdout)
        try? FileManager.default.removeItem(at: stderr)
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    var port: UInt16 { UInt16(url.port ?? 0) }

    /// A request through URLSession: status, body and headers.
    func request(_ path: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) throws -> (Int, Data, [AnyHashable: Any]) {
        var request = URLRequest(url: URL(string: path, relativeTo: url)!, timeoutInterval: 60)
        request.httpMethod = method
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        request.httpBody = body
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data, [AnyHashable: Any])?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse { result = (http.statusCode, data ?? Data(), http.allHeaderFields) }
            failure = error
            done.signal()
        }.resume()
        done.wait()
        guard let result else { throw failure ?? ServeTestError("no response to \(method) \(path)") }
        return result
    }

    /// The JSON object or array of a response body.
    static func json(_ data: Data) throws -> Any { try JSONSerialization.jsonObject(with: data) }

    /// A job posted as multipart: the given parts in order, each (name, file name, bytes).
    func post(parts: [(String, String?, Data)], headers: [String: String] = [:]) throws -> (Int, [String: Any]) {
        let boundary = "nst-test-\(UUID().uuidString)"
        var body = Data()
        for (name, file, data) in parts {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\(file.map { "; filename=\"\($0)\"" } ?? "")\r\n\r\n".utf8)
            body += data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        let (status, data, _) = try request("/api/jobs", method: "POST",
                                            headers: headers.merging(["Content-Type": "multipart/form-data; boundary=\(boundary)"]) { $1 }, body: body)
        return (status, (try? Self.json(data)) as? [String: Any] ?? [:])
    }

    /// A request written byte for byte on a socket (URLSession would resolve `..` or send a
    /// body the test wants withheld); returns the status code and the body.
    func raw(_ text: String) throws -> (Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw ServeTestError("cannot connect to port \(port)") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
            // Enough once the headers and the announced body are in.
            let textSoFar = String(decoding: response, as: UTF8.self)
            if let end = textSoFar.range(of: "\r\n\r\n"),
               let length = textSoFar[..<end.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
               textSoFar.utf8.count - textSoFar[..<end.upperBound].utf8.count >= length { break }
        }
        let textResponse = String(decoding: response, as: UTF8.self)
        let status = Int(textResponse.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = textResponse.range(of: "\r\n\r\n").map { String(textResponse[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}

struct ServeTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
