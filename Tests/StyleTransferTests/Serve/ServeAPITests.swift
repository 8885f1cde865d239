// ServeAPITests: `nst serve` through a real loopback server: a job to done with its PNG and log, 200 status requests during a run, stop, bad uploads and options (400, 413), path escapes and unknown jobs (404), a failing job, the token, and jobs kept across a restart.
import Foundation
@testable import NSTImages
import StyleTransfer
import XCTest

final class ServeAPITests: ScratchFolderTestCase {
    private var content = Data(), style = Data()
    /// Small and shallow: a job finishes in seconds in a debug build.
    static let quick = #"{"size":32,"iterations":4,"content-layers":"relu2_1","style-layers":"relu1_1,relu2_1"}"#

    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 8)
        try Image(width: 40, height: 30, pixels: data.uniform(3 * 40 * 30, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 24, height: 24, pixels: data.uniform(3 * 24 * 24, 0, 1)).writePNG(to: path("s.png"))
        content = try Data(contentsOf: URL(fileURLWithPath: path("c.png")))
        style = try Data(contentsOf: URL(fileURLWithPath: path("s.png")))
    }

    private func start(_ extra: [String] = []) throws -> ServeProcess {
        try ServeProcess(["--data", path("data"), "--device", "cpu"] + extra, in: folder)
    }

    private func post(_ server: ServeProcess, options: String = quick) throws -> (Int, [String: Any]) {
        try server.post(parts: [("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data(options.utf8))])
    }

    private func status(_ server: ServeProcess, _ id: String) throws -> [String: Any] {
        let (code, data, _) = try server.request("/api/jobs/\(id)")
        XCTAssertEqual(code, 200)
        return try ServeProcess.json(data) as? [String: Any] ?? [:]
    }

    /// Polls until the job's state is final (or 120 s pass); returns its status.
    private func waitUntilFinal(_ server: ServeProcess, _ id: String) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let s = try status(server, id)
            if let state = s["state"] as? String, ["done", "failed", "stopped"].contains(state) { return s }
            usleep(100_000)
        }
        throw ServeTestError("job \(id) did not end")
    }

    /// A job posted through the API reaches done; its PNG (32 px long side) and loss log can
    /// be fetched, and the list has it.
    func testAJobReachesDoneWithItsImageAndLog() throws {
        let server = try start()
        defer { server.stop() }
        let (code, body) = try post(server)
        XCTAssertEqual(code, 201, "\(body)")
        let id = try XCTUnwrap(body["id"] as? String)
        XCTAssertEqual(id.count, 32)
        let final = try waitUntilFinal(server, id)
        XCTAssertEqual(final["state"] as? String, "done", "\(final)")
        XCTAssertEqual(final["iteration"] as? Int, 4)
        let (imageCode, png, headers) = try server.request("/api/jobs/\(id)/image")
        XCTAssertEqual(imageCode, 200)
        XCTAssertEqual(headers["Content-Type"] as? String, "image/png")
        try png.write(to: URL(fileURLWithPath: path("got.png")))
        let image = try Image.load(path: path("got.png"))
        XCTAssertEqual([image.width, image.height], [32, 24])
        let (logCode, log, _) = try server.request("/api/jobs/\(id)/log")
        XCTAssertEqual(logCode, 200)
        let rows = String(decoding: log, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(rows.first, "iteration,total,content,style,tv,seconds,scale")
        XCTAssertEqual(rows.count, 1 + 5)
        let (_, list, _) = try server.request("/api/jobs")
        XCTAssertEqual((try ServeProcess.json(list) as? [[String: Any]])?.compactMap { $0["id"] as? String }, [id])
        let (plotCode, svg, _) = try server.request("/api/jobs/\(id)/plot")
        XCTAssertEqual(plotCode, 200)
        XCTAssertTrue(String(decoding: svg, as: UTF8.self).contains("<svg"))
    }

    /// 200 status requests while a job runs are all answered (p50 and p99 printed); DELETE
    /// stops the job, whose image is kept.
    func testStatusRequestsDuringARunAndStop() throws {
        let server = try start()
        defer { server.stop() }
        let (_, body) = try post(server, options: #"{"size":32,"iterations":100000,"content-layers":"relu2_1","style-layers":"relu1_1,relu2_1"}"#)
        let id = try XCTUnwrap(body["id"] as? String)
        var seconds: [Double] = [], iterations = Set<Int>()
        // On a plain socket, one connection each: URLSession's keep-alive adds tens of ms of its own.
        for _ in 0..<200 {
            let start = Date()
            let (code, body) = try server.raw("GET /api/jobs/\(id) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            seconds.append(Date().timeIntervalSince(start))
            XCTAssertEqual(code, 200)
            let s = try ServeProcess.json(Data(body.utf8)) as? [String: Any] ?? [:]
            XCTAssertNotNil(s["state"])
            if let k = s["iteration"] as? Int { iterations.insert(k) }
        }
        seconds.sort()
        print(String(format: "200 status requests during a run: p50 %.2f ms, p99 %.2f ms, max %.2f ms", 1000 * seconds[99], 1000 * seconds[197], 1000 * seconds[199]))
        XCTAssertEqual(seconds.count, 200)
        XCTAssertEqual(try status(server, id)["state"] as? String, "running")
        XCTAssertGreaterThan(iterations.count, 1, "the run advanced while it was asked")
        let (code, _, _) = try server.request("/api/jobs/\(id)", method: "DELETE")
        XCTAssertEqual(code, 200)
        let final = try waitUntilFinal(server, id)
        XCTAssertEqual(final["state"] as? String, "stopped")
        XCTAssertEqual(try server.request("/api/jobs/\(id)/image").0, 200, "the image is kept")
    }

    /// Bad uploads and options: 400 naming the field or option; 80 MB: 413 under the default limit.
    func testBadUploadsAndOptions() throws {
        let server = try start()
        defer { server.stop() }
        let text = Data("not an image\n".utf8)
        let cases: [([(String, String?, Data)], [String])] = [
            ([("content", "notes.txt", text), ("style", "s.png", style)], ["content", "notes.txt"]),
            ([("content", "c.png", content), ("style", "s.txt", text)], ["style"]),
            ([("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data(#"{"bogus":1}"#.utf8))], ["--bogus"]),
            ([("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data(#"{"size":-3}"#.utf8))], ["--size"]),
            ([("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data(#"{"output":"/etc/x.png"}"#.utf8))], ["--output"]),
            ([("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data(#"{"weights":"../../w.pth"}"#.utf8))], ["--weights"]),
            ([("content", "c.png", content), ("style", "s.png", style), ("options", nil, Data("[1]".utf8))], ["options"]),
            ([("style", "s.png", style)], ["content"]),
        ]
        for (parts, needles) in cases {
            let (code, body) = try server.post(parts: parts)
            XCTAssertEqual(code, 400, "\(needles): \(body)")
            let message = body["error"] as? String ?? ""
            for needle in needles { XCTAssertTrue(message.contains(needle), "'\(message)' should name \(needle)") }
        }
        // 80 MB announced: refused from the headers, before the body is read.
        let (code, body) = try server.raw("POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 80000000\r\n\r\n")
        XCTAssertEqual(code, 413, body)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("data/jobs")), [], "no job folder is left")
    }

    /// Paths that try to leave the API, and ids of no job: 404.
    func testPathEscapesAndUnknownJobsAre404() throws {
        let server = try start()
        defer { server.stop() }
        for target in ["/api/jobs/../../../etc/passwd", "/api/jobs/..%2F..%2Fetc%2Fpasswd/image", "/api/jobs/0123456789abcdef0123456789abcdef",
                       "/api/jobs/0123456789abcdef0123456789abcdef/image", "/api/jobs/x/../../status.json", "/../data/jobs", "/api/nothing"] {
            let (code, body) = try server.raw("GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(code, 404, "\(target): \(body)")
            XCTAssertFalse(body.contains("root:"), target)
        }
    }

    /// A failing job (an image too small for its layers) fails alone: its error names the
    /// option, and the next job runs to done.
    func testAFailingJobLeavesTheServerAcceptingJobs() throws {
        let server = try start()
        defer { server.stop() }
        let (_, failing) = try post(server, options: #"{"size":8,"iterations":3}"#)
        let bad = try waitUntilFinal(server, try XCTUnwrap(failing["id"] as? String))
        XCTAssertEqual(bad["state"] as? String, "failed")
        XCTAssertTrue((bad["error"] as? String ?? "").contains("--size"), "\(bad)")
        let (code, good) = try post(server)
        XCTAssertEqual(code, 201)
        XCTAssertEqual(try waitUntilFinal(server, try XCTUnwrap(good["id"] as? String))["state"] as? String, "done")
    }

    /// A host others can reach needs a token; with one, requests without it get 401, with it 200.
    func testTheTokenGuardsAServerOthersCanReach() throws {
        let refused = try NSTProcess.run(["serve", "--host", "0.0.0.0", "--port", "0", "--data", path("data")], in: folder)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--host") && refused.stderr.contains("--token"), refused.stderr)
        let server = try start(["--host", "0.0.0.0", "--token", "a-secret-token"])
        defer { server.stop() }
        XCTAssertEqual(try server.request("/api/jobs").0, 401)
        XCTAssertEqual(try server.request("/api/jobs", headers: ["Authorization": "Bearer wrong-token"]).0, 401)
        XCTAssertEqual(try server.request("/").0, 401)
        XCTAssertEqual(try server.request("/api/jobs", headers: ["Authorization": "Bearer a-secret-token"]).0, 200)
        let (code, _, headers) = try server.request("/?token=a-secret-token")
        XCTAssertEqual(code, 200)
        XCTAssertTrue((headers["Set-Cookie"] as? String ?? "").contains("nst_token=a-secret-token"), "\(headers)")
        XCTAssertEqual(try server.request("/api/jobs", headers: ["Cookie": "nst_token=a-secret-token"]).0, 200)
    }

    /// SIGTERM stops a running job as nst transfer stops (image kept) and exits 143; a server
    /// started again on the same data lists the finished and the stopped job.
    func testARestartedServerShowsItsJobs() throws {
        var server = try start()
        let (_, first) = try post(server)
        let done = try XCTUnwrap(first["id"] as? String)
        XCTAssertEqual(try waitUntilFinal(server, done)["state"] as? String, "done")
        let (_, second) = try post(server, options: #"{"size":32,"iterations":100000,"content-layers":"relu2_1","style-layers":"relu1_1,relu2_1"}"#)
        let running = try XCTUnwrap(second["id"] as? String)
        let deadline = Date().addingTimeInterval(60)
        while (try status(server, running)["iteration"] as? Int ?? 0) < 2, Date() < deadline { usleep(50_000) }
        XCTAssertEqual(server.stop(), 143)
        server = try start()
        defer { server.stop() }
        let (_, list, _) = try server.request("/api/jobs")
        let jobs = try XCTUnwrap(try ServeProcess.json(list) as? [[String: Any]])
        XCTAssertEqual(jobs.compactMap { $0["id"] as? String }, [done, running])
        XCTAssertEqual(jobs.compactMap { $0["state"] as? String }, ["done", "stopped"])
        XCTAssertEqual(try server.request("/api/jobs/\(done)/image").0, 200)
        XCTAssertEqual(try server.request("/api/jobs/\(running)/image").0, 200, "the stopped job's image was written")
    }
}
