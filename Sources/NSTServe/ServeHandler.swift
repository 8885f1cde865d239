// ServeHandler: the routes of `nst serve`: the page, the JSON API, images, logs, plots and live events; every request checked for the token, every id for its form.
import FlyingFox
import Foundation
import NSTImages
import NSTInspect
import NSTMethod
import StyleTransfer

/// One handler for every request (README "Web interface"). Errors are JSON
/// `{"error": "..."}` with the status that fits: 400 naming the field or option, 401, 404,
/// 413.
struct ServeHandler: HTTPHandler {
    let options: ServeOptions
    let store: JobStore

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        // The page with ?token=T sets the cookie the page's own requests then carry.
        let tokenQuery = request.query.first { $0.name == "token" }?.value
        guard authorized(request) || (parts.isEmpty && tokenQuery != nil && matches(tokenQuery)) else {
            return Self.error(.unauthorized, "this server needs its token: Authorization: Bearer T, or open /?token=T once")
        }
        switch (request.method, parts.first.map(String.init), parts.count) {
        case (.GET, nil, 0):
            var headers: HTTPHeaders = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            if let token = options.token, matches(tokenQuery) {
                headers[HTTPHeader("Set-Cookie")] = "nst_token=\(token); Path=/; HttpOnly; SameSite=Strict"
            }
            return HTTPResponse(statusCode: .ok, headers: headers, body: Data(ServePage.html.utf8))
        case (_, "api", _):
            return try await api(request, Array(parts.dropFirst()))
        default:
            return Self.error(.notFound, "no such page: \(request.path)")
        }
    }

    private func api(_ request: HTTPRequest, _ parts: [Substring]) async throws -> HTTPResponse {
        switch (request.method, parts.count) {
        case (.GET, 1) where parts[0] == "jobs":
            return Self.json(store.all())
        case (.POST, 1) where parts[0] == "jobs":
            return try await create(request)
        case (.GET, 1) where parts[0] == "weights":
            return Self.json(WeightsCache().files().map(\.name))
        default:
            break
        }
        guard parts.count >= 2, parts[0] == "jobs", let job = store.job(parts[1]) else {
            return Self.error(.notFound, parts.count >= 2 && parts[0] == "jobs" ? "no such job" : "no such API route: \(request.path)")
        }
        switch (request.method, parts.count > 2 ? String(parts[2]) : nil, parts.count) {
        case (.GET, nil, 2):
            return Self.json(store.status(job))
        case (.DELETE, nil, 2):
            store.stop(job)
            return Self.json(store.status(job))
        case (.GET, "image", 3):
            let live = store.outputs(job).png
            guard let png = live ?? (try? Data(contentsOf: job.folder.appendingPathComponent("output.png"))) else {
                return Self.error(.notFound, "the job has no image yet")
            }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"], body: png)
        case (.GET, "log", 3):
            let csv = store.outputs(job).csv
            let text = csv.isEmpty ? (try? String(contentsOf: job.folder.appendingPathComponent("loss.csv"), encoding: .utf8)) : csv
            guard let text, !text.isEmpty else { return Self.error(.notFound, "the job has no loss log yet") }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                                                          .contentDisposition: "attachment; filename=\"\(job.id).csv\""],
                                body: Data(text.utf8))
        case (.GET, "plot", 3):
            let csv = store.outputs(job).csv
            guard !csv.isEmpty, let table = try? LossTable(csv: csv, source: "job \(job.id)"),
                  let svg = try? LossPlot(tables: [table], weights: job.lossWeights)
                    .drawing().svg() else {
                return Self.error(.notFound, "the job has no losses yet")
            }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"], body: Data(svg.utf8))
        case (.GET, "events", 3):
            return try await WebSocketHTTPHandler(handler: MessageFrameWSHandler(handler: JobEvents(events: store.events(job))))
                .handleRequest(request)
        default:
            return Self.error(.notFound, "no such API route: \(request.path)")
        }
    }

    /// `POST /api/jobs`: the uploads checked and decoded, the options checked by the plan, the job queued.
    private func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxUpload {
            return Self.error(.payloadTooLarge, "the upload is \(length) bytes; this server takes at most \(options.maxUpload) (--max-upload)")
        }
        var body = Data()
        for try await chunk in request.bodySequence {
            body.append(chunk)
            if body.count > options.maxUpload {
                return Self.error(.payloadTooLarge, "the upload is over \(options.maxUpload) bytes (--max-upload)")
            }
        }
        let id = JobID.make(), folder = store.root.appendingPathComponent(id)
        do {
            let form = try MultipartForm(body: body, contentType: request.headers[.contentType] ?? "")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard let content = form.parts(named: "content").first else { throw FormError("content: missing (a PNG, JPEG or TIFF image)") }
            let styles = form.parts(named: "style")
            guard !styles.isEmpty else { throw FormError("style: missing (one or more PNG, JPEG or TIFF images)") }
            let contentPath = try Self.saveImage(content, field: "content", as: "content", in: folder)
            let stylePaths = try styles.enumerated().map { try Self.saveImage($1, field: "style", as: "style-\($0 + 1)", in: folder) }
            let json = form.parts(named: "options").first?.data ?? Data()
            let (transfer, lossWeights) = try JobOptions.parse(json, content: contentPath, styles: stylePaths,
                                                output: folder.appendingPathComponent("output.png").path,
                                                lossLog: folder.appendingPathComponent("loss.csv").path,
                                                device: options.devices[0])
            try AtomicWrite.write([UInt8](json), to: folder.appendingPathComponent("options.json").path)
            var status = JobStatus(id: id, state: .queued, created: Date().timeIntervalSince1970)
            status.iterations = transfer.iterations
            status.content = content.fileName
            status.styles = styles.compactMap(\.fileName)
            try store.add(Job(id: id, folder: folder, status: status, options: transfer, lossWeights: lossWeights))
            return Self.json(["id": id], status: .created)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            return Self.error(.badRequest, "\(error)")
        }
    }

    /// Writes an uploaded image into the job's folder under its format's extension and decodes
    /// it with the same bounded decoders as `nst transfer`; returns its path.
    /// - Throws: `FormError` naming the field for anything but a PNG, JPEG or TIFF that decodes.
    static func saveImage(_ part: MultipartForm.Part, field: String, as name: String, in folder: URL) throws -> String {
        let bytes = [UInt8](part.data.prefix(4))
        let ext: String
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { ext = "png" }
        else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { ext = "jpg" }
        else if bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { ext = "tif" }
        else { throw FormError("\(field): \(part.fileName.map { "'\($0)' is" } ?? "is") not a PNG, JPEG or TIFF image") }
        let path = folder.appendingPathComponent("\(name).\(ext)").path
        try AtomicWrite.write([UInt8](part.data), to: path)
        do { _ = try Image.load(path: path, role: field) } catch {
            throw FormError("\(field): \(part.fileName.map { "'\($0)': " } ?? "")\((error as? ImageError)?.reason ?? "\(error)")")
        }
        return path
    }

    private func authorized(_ request: HTTPRequest) -> Bool {
        guard options.token != nil else { return true }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "), matches(String(header.dropFirst(7))) { return true }
        let cookies = (request.headers[.cookie] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        return cookies.contains { $0.hasPrefix("nst_token=") && matches(String($0.dropFirst(10))) }
    }

    /// Whether `given` is the token, compared in time independent of where they differ.
    private func matches(_ given: String?) -> Bool {
        guard let token = options.token, let given else { return false }
        let a = Array(token.utf8), b = Array(given.utf8)
        var difference = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { difference |= Int(a[i] ^ b[i]) }
        return difference == 0
    }

    static func json(_ value: some Encodable, status: HTTPStatusCode = .ok) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return HTTPResponse(statusCode: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: body)
    }

    static func error(_ status: HTTPStatusCode, _ message: String) -> HTTPResponse {
        json(["error": message], status: status)
    }
}

/// A job's status as WebSocket text messages, until its final state.
struct JobEvents: WSMessageHandler {
    let events: AsyncStream<String>

    func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
        let events = self.events
        return AsyncStream { continuation in
            let task = Task {
                for await text in events { continuation.yield(.text(text)) }
                continuation.yield(.close(.normalClosure))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
