// WebDriver: a minimal W3C WebDriver client for the page tests: chromedriver on a free loopback port, one headless Chromium session, the few commands a page test needs, and cleanup that leaves no process behind.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failed WebDriver step: which command (and its HTTP request) and what the driver said.
/// Also thrown when Chromium or chromedriver is missing: the page tests fail then, never
/// skip, because CI installs both (scripts/install-deps.sh).
struct WebDriverError: Error, CustomStringConvertible {
    /// The command, e.g. `find element "#f" (POST /session/…/element)`.
    let command: String
    /// The driver's error and message, or what went wrong on the way to it.
    let message: String
    var description: String { "WebDriver \(command) failed: \(message)" }
}

/// One headless Chromium driven through its own chromedriver process.
///
/// `try WebDriver.withSession { driver in ... }` is the one-line use: it starts both,
/// runs the body and always cleans up. Every command is synchronous and throws a
/// `WebDriverError` naming the command; element ids are the strings the driver gives.
final class WebDriver {
    /// The key under which W3C WebDriver returns (and takes) an element reference: the
    /// spec's "web element identifier", which chromedriver uses too.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
    /// The names looked up on PATH, then in /usr/bin and /usr/local/bin (Debian's
    /// `chromium` and `chromium-driver` packages).
    static let browserName = "chromium", driverName = "chromedriver"

    /// chromedriver's base URL, `http://127.0.0.1:<port>`.
    let driverURL: URL
    /// This session's id.
    let sessionID: String
    /// chromedriver's process id (also its process group: Foundation's `Process` starts
    /// children in a group of their own, and the browser it launches stays in it).
    let driverProcessID: Int32
    /// The browser's main process id, as the driver reports it (`goog:processID`), if it does.
    let browserProcessID: Int32?
    /// The scratch folder holding the browser profile and chromedriver's log; every
    /// browser process names it on its command line (`--user-data-dir`), which is how
    /// `quit()` finds stragglers.
    let scratch: URL

    private let driver: Process
    private var closed = false

    /// Starts chromedriver on a free loopback port, waits for `GET /status` to say ready
    /// (at most `startupTimeout` seconds) and opens a headless Chromium session.
    init(startupTimeout: TimeInterval = 20) throws {
        guard let browser = Self.executable(named: Self.browserName) else {
            throw WebDriverError(command: "start", message: "\(Self.browserName) was not found (PATH, /usr/bin, /usr/local/bin); install Debian's chromium and chromium-driver packages (scripts/install-deps.sh)")
        }
        guard let driverBinary = Self.executable(named: Self.driverName) else {
            throw WebDriverError(command: "start", message: "\(Self.driverName) was not found (PATH, /usr/bin, /usr/local/bin); install Debian's chromium-driver package (scripts/install-deps.sh)")
        }
        let scratch = try makeScratchFolder("webdriver")
        let started: (process: Process, url: URL)
        do {
            started = try Self.startDriver(driverBinary, log: scratch.appendingPathComponent("chromedriver.log"),
                                           timeout: startupTimeout)
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        let profile = scratch.appendingPathComponent("profile", isDirectory: true)
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": browser,
                // --no-sandbox: Chromium's sandbox refuses to run as root (CI containers).
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1200,900", "--user-data-dir=\(profile.path)"],
                // Start on about:blank (4: open the startup URLs). Otherwise Debian's Chromium
                // opens its new-tab page, which loads start.duckduckgo.com (the network, from a
                // test) and, offline, falls back to a local page; the first navigate then waits
                // 1-5 s for that. (A URL among the args does not work: chromedriver makes
                // every argument a switch, "--about:blank".)
                "prefs": ["session.restore_on_startup": 4, "session.startup_urls": ["about:blank"]] as [String: Any],
            ] as [String: Any],
        ] as [String: Any]]]
        let value: Any?
        do {
            value = try HTTPClient.command("new session", "POST", started.url.appendingPathComponent("session"),
                                           capabilities, timeout: 60)
        } catch {
            Self.stop(started.process, scratch: scratch)
            throw error
        }
        let session = value as? [String: Any]
        guard let id = session?["sessionId"] as? String else {
            Self.stop(started.process, scratch: scratch)
            throw WebDriverError(command: "new session (POST /session)", message: "no sessionId in the answer: \(String(describing: value))")
        }
        let answered = (session?["capabilities"] as? [String: Any])?["goog:processID"]
        self.driver = started.process
        self.driverURL = started.url
        self.driverProcessID = started.process.processIdentifier
        self.scratch = scratch
        self.sessionID = id
        self.browserProcessID = (answered as? NSNumber)?.int32Value
    }

    deinit { quit() }

    /// Starts a driver and a session, runs `body` and always ends both (when `body` throws
    /// or an assertion in it fails, too), so a test needs one line.
    static func withSession<T>(startupTimeout: TimeInterval = 20, _ body: (WebDriver) throws -> T) throws -> T {
        let driver = try WebDriver(startupTimeout: startupTimeout)
        defer { driver.quit() }
        return try body(driver)
    }

    /// Ends the session (the browser quits), then chromedriver; whatever still runs 5 s
    /// later is killed; removes the scratch folder. Safe to call twice.
    func quit() {
        guard !closed else { return }
        closed = true
        // Deleting the session is what makes chromedriver close the browser: a chromedriver
        // that is only terminated leaves Chromium running.
        _ = try? HTTPClient.command("delete session", "DELETE", sessionURL, nil, timeout: 10)
        Self.stop(driver, scratch: scratch)
    }

    // MARK: Commands

    /// Opens `url` and waits for it to load (the driver's default page-load strategy).
    func navigate(to url: URL) throws {
        try command("navigate to \(url.absoluteString)", "POST", "url", ["url": url.absoluteString])
    }

    /// The id of the first element matching the CSS selector `css`; throws when none does.
    func findElement(css: String) throws -> String {
        let value = try command("find element \"\(css)\"", "POST", "element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw WebDriverError(command: "find element \"\(css)\"", message: "no element reference in the answer: \(String(describing: value))")
        }
        return id
    }

    /// Types `text` into the element. For an `<input type=file>`, `text` is an absolute
    /// file path, several joined by "\n" (a `multiple` input takes them all at once).
    func sendKeys(element: String, text: String) throws {
        try command("send keys to element \(element)", "POST", "element/\(element)/value", ["text": text])
    }

    /// Clicks the element (scrolled into view first by the driver).
    func click(element: String) throws {
        try command("click element \(element)", "POST", "element/\(element)/click", [:])
    }

    /// Runs `script` as the body of a function in the page, with `arguments` bound to
    /// `args` (JSON values; `WebDriver.reference(element:)` passes an element), and returns
    /// what it returns: String, NSNumber (also for booleans), arrays, dictionaries, nil for
    /// null or undefined.
    @discardableResult
    func executeScript(_ script: String, args: [Any] = []) throws -> Any? {
        let value = try command("execute script \(script.prefix(60).debugDescription)", "POST", "execute/sync",
                                ["script": script, "args": args])
        return value is NSNull ? nil : value
    }

    /// Polls `condition` every `poll` seconds until it is true (returns true) or
    /// `timeout` seconds have passed (returns false); an error `condition` throws ends the wait.
    func waitUntil(timeout: TimeInterval = 10, poll: TimeInterval = 0.1, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: poll)
        }
    }

    /// A PNG of the viewport.
    func screenshot() throws -> Data {
        let value = try command("take screenshot", "GET", "screenshot", nil)
        guard let base64 = value as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(command: "take screenshot (GET /session/\(sessionID)/screenshot)", message: "the answer is not base64 data")
        }
        return data
    }

    /// The page's current DOM serialised as HTML.
    func pageSource() throws -> String {
        let value = try command("get page source", "GET", "source", nil)
        guard let source = value as? String else {
            throw WebDriverError(command: "get page source (GET /session/\(sessionID)/source)", message: "the answer is not a string")
        }
        return source
    }

    /// An element as a script argument (`executeScript(_:args:)`): `arguments[i]` is then the DOM element.
    static func reference(element: String) -> [String: String] { [elementKey: element] }

    // MARK: Processes

    /// Whether `pid` runs; a zombie (exited, not yet reaped) counts as gone.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let paren = stat.lastIndex(of: ")") else { return false }
        // The state is the first field after the command name, which is in parentheses.
        let state = stat[stat.index(after: paren)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// The running processes whose command line contains `text` (e.g. a profile folder).
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text) && isRunning(pid)
        }
    }

    // MARK: Private

    private var sessionURL: URL { driverURL.appendingPathComponent("session").appendingPathComponent(sessionID) }

    /// Sends one command of this session (`path` relative to `/session/{id}/`) and returns its `value`.
    @discardableResult
    private func command(_ name: String, _ method: String, _ path: String, _ body: [String: Any]?) throws -> Any? {
        guard !closed else { throw WebDriverError(command: name, message: "the session has already been closed") }
        return try HTTPClient.command(name, method, sessionURL.appendingPathComponent(path), body, timeout: 60)
    }

    /// The first executable `name` in the folders of PATH (with the usual ones as a fallback).
    private static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A port on 127.0.0.1 free a moment ago: bound to port 0, read back, released.
    /// chromedriver needs an explicit port; another process could take this one in between,
    /// which `startDriver` answers by trying again.
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WebDriverError(command: "start", message: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard bound == 0, named == 0 else { throw WebDriverError(command: "start", message: "no free port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Launches chromedriver (output to `log`) and waits until it is ready; a driver that
    /// exits early (its port taken in the meantime) is retried on another port, twice.
    private static func startDriver(_ binary: String, log: URL,
                                    timeout: TimeInterval) throws -> (process: Process, url: URL) {
        var lastLog = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let url = URL(string: "http://127.0.0.1:\(port)")!
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            defer { try? output.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
            // A file, not a pipe: nothing reads while the tests run, and a full pipe would block the driver.
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch {
                throw WebDriverError(command: "start", message: "could not run \(binary): \(error)")
            }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline, process.isRunning {
                // Not ready (connection refused, or "ready": false) means: ask again shortly.
                let status = try? HTTPClient.command("status", "GET", url.appendingPathComponent("status"), nil, timeout: 2)
                if (status as? [String: Any])?["ready"] as? Bool == true { return (process, url) }
                Thread.sleep(forTimeInterval: 0.1)
            }
            lastLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if process.isRunning {
                stop(process, scratch: nil)
                throw WebDriverError(command: "start (GET /status)", message: "chromedriver was not ready after \(Int(timeout)) s; its log: \(lastLog.suffix(2000))")
            }
        }
        throw WebDriverError(command: "start", message: "chromedriver exited before it was ready, three times; its last log: \(lastLog.suffix(2000))")
    }

    /// Ends chromedriver and every browser process of `scratch`'s profile: SIGTERM, then
    /// SIGKILL for what still runs 5 s later; then removes `scratch`.
    private static func stop(_ process: Process, scratch: URL?) {
        let pid = process.processIdentifier
        // The whole group when chromedriver leads one of its own (so a browser it launched
        // goes too); never our own group.
        let group = getpgid(pid) == pid && pid != getpgrp()
        // Foundation's isRunning as well as /proc: once Foundation has reaped chromedriver,
        // its pid may already belong to another process.
        func driverRuns() -> Bool { process.isRunning && isRunning(pid) }
        func signal(_ sig: Int32) {
            if driverRuns() { kill(group ? -pid : pid, sig) }
            for browser in scratch.map({ processes(mentioning: $0.path) }) ?? [] { kill(browser, sig) }
        }
        func allGone(within seconds: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if !driverRuns() && (scratch.map { processes(mentioning: $0.path).isEmpty } ?? true) { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }
        signal(SIGTERM)
        if !allGone(within: 5) {
            signal(SIGKILL)
            _ = allGone(within: 2)
        }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }
}

/// Synchronous JSON requests to chromedriver, HTTP/1.1 over a POSIX socket.
///
/// Not URLSession: FoundationNetworking of Swift 6.3 rejects a response header without a
/// space after the colon, and chromedriver sends exactly those (`Content-Length:251`), so
/// every request failed with "Failed writing header" (fixed upstream by
/// swift-corelibs-foundation#5527, not in this toolchain). One connection per request,
/// which also keeps proxies (http_proxy) out of the way.
private enum HTTPClient {
    /// Sends `body` (JSON) with `method` to `url` (on 127.0.0.1) and returns the answer's
    /// `value`; throws a `WebDriverError` named `name (METHOD /path)` with the driver's
    /// error and message.
    static func command(_ name: String, _ method: String, _ url: URL, _ body: [String: Any]?, timeout: TimeInterval) throws -> Any? {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? url.path
        let label = "\(name) (\(method) \(path))"
        var payload = Data()
        if let body {
            guard JSONSerialization.isValidJSONObject(body) else {
                throw WebDriverError(command: label, message: "the arguments are not JSON values: \(body)")
            }
            payload = try JSONSerialization.data(withJSONObject: body)
        }
        let (status, data): (Int, Data)
        do {
            (status, data) = try exchange(method, port: url.port ?? 80, path: path, payload, timeout: timeout)
        } catch {
            throw WebDriverError(command: label, message: "no answer from chromedriver at \(url.host ?? "?"):\(url.port ?? 80): \(error)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw WebDriverError(command: label, message: "HTTP \(status), not JSON: \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        let value = json["value"]
        // W3C errors: a 4xx/5xx status with {"value": {"error", "message", "stacktrace"}};
        // the stack trace is chromedriver's own and says nothing about the test.
        if let failure = value as? [String: Any], let error = failure["error"] as? String {
            throw WebDriverError(command: label, message: "\(error): \(failure["message"] as? String ?? "")")
        }
        guard (200..<300).contains(status) else {
            throw WebDriverError(command: label, message: "HTTP \(status): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return value
    }

    /// What went wrong below HTTP: the call and its errno, or a malformed answer.
    struct TransportError: Error, CustomStringConvertible {
        let description: String
        init(_ call: String, errno code: Int32 = errno) { description = "\(call): \(String(cString: strerror(code)))" }
        init(malformed: String) { description = malformed }
    }

    /// One request on a fresh connection to 127.0.0.1:`port`; the status and the body.
    /// Reads and writes time out after `timeout` seconds each.
    static func exchange(_ method: String, port: Int, path: String, _ body: Data, timeout: TimeInterval) throws -> (Int, Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError("socket") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TransportError("connect") }

        var request = Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n".utf8)
        if method != "GET" {
            request += Data("Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n".utf8)
        }
        request += Data("\r\n".utf8) + body
        var sent = 0
        while sent < request.count {
            // MSG_NOSIGNAL: a driver that hangs up must not raise SIGPIPE in the test process.
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TransportError("send") }
            sent += n
        }

        // The head, then Content-Length bytes of body (to the end of the stream without one).
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headEnd: Range<Data.Index>?
        var expected: Int?
        while true {
            if headEnd == nil, let end = received.range(of: Data("\r\n\r\n".utf8)) {
                headEnd = end
                expected = contentLength(String(decoding: received[..<end.lowerBound], as: UTF8.self))
            }
            if let headEnd, let expected, received.count - headEnd.upperBound >= expected { break }
            let n = read(fd, &buffer, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw TransportError("read") }
            received.append(contentsOf: buffer[0..<n])
        }
        guard let headEnd else { throw TransportError(malformed: "the answer ended before its header did (\(received.count) bytes)") }
        let statusLine = String(decoding: received[..<headEnd.lowerBound], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw TransportError(malformed: "not an HTTP status line: \(statusLine.prefix(100))")
        }
        var content = Data(received[headEnd.upperBound...])
        if let expected {
            guard content.count >= expected else {
                throw TransportError(malformed: "the body ended after \(content.count) of \(expected) bytes")
            }
            content = content.prefix(expected)
        }
        return (status, content)
    }

    /// The Content-Length of a response head; header names are case-insensitive and the
    /// space after the colon optional.
    private static func contentLength(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let field = line.split(separator: ":", maxSplits: 1)
            if field.count == 2, field[0].lowercased() == "content-length" {
                return Int(field[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}
