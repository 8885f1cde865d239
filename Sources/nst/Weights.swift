// Weights: `nst weights list` and `nst weights fetch`, the pretrained files and the cache they are downloaded into.
import ArgumentParser
import Foundation
import StyleTransfer

struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and download pretrained VGG weights (no Python needed).",
        subcommands: [List.self, Fetch.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Known files, what is in the cache, and where the cache is.")

        @Flag(help: "Print the list as JSON: the cache folder, the known files and the other files in the cache.")
        var json = false

        func run() throws {
            let cache = WeightsCache()
            if json {
                let files = cache.files()
                let listing = WeightsListing(cache: cache.directory?.path, known: WeightsCache.known.map { k in
                    WeightsListing.Known(name: k.name, fileName: k.fileName, model: k.model.name, preprocess: k.preprocess.rawValue, urls: k.urls,
                                  cachedBytes: files.first { $0.name == k.fileName }?.bytes, approximateBytes: k.approximateBytes)
                }, others: files.filter { f in !WeightsCache.known.contains { $0.fileName == f.name } }.map { WeightsListing.Other(fileName: $0.name, bytes: $0.bytes) })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Console.line(String(decoding: try encoder.encode(listing), as: UTF8.self))
                return
            }
            _ = Console.line("cache: \(cache.directory?.path ?? "none (set NST_CACHE_DIR)")")
            let files = cache.files()
            _ = Console.line("known files (nst weights fetch NAME; --weights NAME):")
            for k in WeightsCache.known {
                let have = files.first { $0.name == k.fileName }
                let state = have.map { "cached, \(Self.megabytes($0.bytes))" } ?? "not fetched, ~\(Self.megabytes(k.approximateBytes))"
                _ = Console.line("  \(k.name.padding(toLength: 17, withPad: " ", startingAt: 0)) \(k.fileName.padding(toLength: 32, withPad: " ", startingAt: 0)) \(k.model.name) \(k.preprocess.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(state)")
            }
            let others = files.filter { f in !WeightsCache.known.contains { $0.fileName == f.name } }
            if !others.isEmpty {
                _ = Console.line("other files in the cache:")
                for f in others { _ = Console.line("  \(f.name)  \(Self.megabytes(f.bytes))") }
            }
        }

        static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a known file (or any file with --url, --sha256 and --name) into the cache.",
            discussion: "An interrupted download resumes when the same fetch is run again; the SHA-256 is checked before the file is moved into place, and a mismatch leaves nothing in the cache. A download is bounded by a known file's size (with a margin) or --max-size, and by the cache's free space; a second fetch of a name being fetched stops at once.")

        @Argument(help: ArgumentHelp("A known name (see `nst weights list`).", valueName: "name"))
        var name: String?

        @Option(help: ArgumentHelp("Download this address instead of a known file's; repeat for mirrors, tried in order under the same --sha256.", valueName: "url"))
        var url: [String] = []

        @Option(help: ArgumentHelp("The expected SHA-256: 64 hex digits, or a leading prefix of at least 8.", valueName: "hex"))
        var sha256: String?

        @Option(name: .customLong("name"), help: ArgumentHelp("File name in the cache for --url: one plain name (no '/', not hidden).", valueName: "name"))
        var fileName: String?

        @Option(name: .customLong("max-size"), help: ArgumentHelp("The most --url may download, e.g. 800MiB or 1GiB (default 2GiB); a known file's own size bounds it.", valueName: "size"))
        var maxSize: String?

        @Flag(help: "No progress display.")
        var quiet = false

        func validate() throws {
            if let sha256, let problem = WeightsDownloader.digestProblem(sha256) {
                throw ValidationError("--sha256 '\(sha256)': \(problem)")
            }
            if !url.isEmpty, let fileName = fileName ?? name, let problem = WeightsCache.fileNameProblem(fileName) {
                throw ValidationError("--name '\(fileName)': \(problem)")
            }
            if let maxSize {
                guard !url.isEmpty else { throw ValidationError("--max-size is for --url; a known file's download is bounded by its own size") }
                guard LargeImageOptions.bytes(maxSize) != nil else {
                    throw ValidationError("--max-size '\(maxSize)' is not a size (e.g. 800MiB, 1GiB, 2000000000)")
                }
            }
        }

        func run() throws {
            let cache = WeightsCache()
            guard let folder = cache.directory else { throw FetchError("no cache folder: set NST_CACHE_DIR (or HOME)") }
            let sources: [URL], file: String, hash: String?, limit: Int64, limitName: String
            if !url.isEmpty {
                let parsed = try url.map { text -> URL in
                    guard let parsed = URL(string: text), parsed.scheme == "http" || parsed.scheme == "https" else {
                        throw ValidationError("--url must be an http or https address, got '\(text)'")
                    }
                    return parsed
                }
                guard let fileName = fileName ?? name else {
                    throw ValidationError("--url needs --name NAME, the file name to keep it under in the cache")
                }
                guard let sha256 else { throw ValidationError("--url needs --sha256 HEX, the file's checksum") }
                sources = parsed; file = try Self.withExtension(fileName, url: parsed[0]); hash = sha256
                limit = maxSize.flatMap { LargeImageOptions.bytes($0) }.map(Int64.init) ?? WeightsDownloader.defaultMaxBytes
                limitName = "--max-size"
            } else {
                guard let name, let known = WeightsCache.knownFile(name) else {
                    throw ValidationError("unknown weights '\(name ?? "")'; known: \(WeightsCache.known.map(\.name).joined(separator: ", ")) (or use --url, --sha256 and --name)")
                }
                sources = known.urls.compactMap(URL.init(string:)); file = known.fileName; hash = sha256 ?? known.sha256Prefix
                limit = known.maxBytes
                limitName = "the known size of \(known.name) with a margin"
            }
            // A file already in the cache with the right checksum is not fetched again.
            let existing = folder.appendingPathComponent(file)
            if let hash, FileManager.default.fileExists(atPath: existing.path), let digest = try? Self.sha256(of: existing),
               digest.hasPrefix(hash.lowercased()) {
                if !quiet { Console.error("nst: \(file) is already in the cache, and its SHA-256 matches; nothing to fetch\n") }
                _ = Console.line("\(existing.path)  sha256 \(digest)")
                return
            }
            let isTerminal = isatty(STDERR_FILENO) != 0
            var lastShown = -1, lastTenth = -1
            let progress = { (done: Int64, total: Int64?) in
                guard !quiet else { return }
                let percent = total.map { $0 > 0 ? Int(100 * done / $0) : 100 } ?? -1
                guard percent != lastShown else { return }
                lastShown = percent
                let text = String(format: "%@: %.1f MB", file, Double(done) / 1e6) + (total.map { String(format: " of %.1f MB (%d%%)", Double($0) / 1e6, percent) } ?? "")
                // Off a terminal, a line at each tenth passed (a callback may skip the exact multiple).
                if isTerminal { _ = Console.error("\r\u{1B}[K" + text) } else if percent / 10 > lastTenth {
                    lastTenth = percent / 10
                    _ = Console.error(text + "\n")
                }
            }
            // Each address in turn, under the same checksum; a stop or a file that cannot be
            // written ends the fetch, a failed address moves on to the next one.
            var result: (path: URL, sha256: String)?
            for (k, source) in sources.enumerated() {
                do {
                    result = try WeightsDownloader.fetch(url: source, to: folder, fileName: file, sha256: hash,
                                                         maxBytes: limit, limitName: limitName, stop: Signals.stop, progress: progress)
                    break
                } catch let error as FetchError where k + 1 < sources.count {
                    if isTerminal, !quiet, lastShown >= 0 { _ = Console.error("\n") }
                    Console.error("nst: \(error); trying \(sources[k + 1].absoluteString)\n")
                    (lastShown, lastTenth) = (-1, -1)
                }
            }
            guard let result else { throw FetchError("no address to fetch \(file) from") }
            if isTerminal, !quiet { _ = Console.error("\n") }
            _ = Console.line("\(result.path.path)  sha256 \(result.sha256)")
        }

        /// The formats the weights readers take, by extension.
        static let weightExtensions: Set<String> = ["pth", "safetensors", "caffemodel"]

        /// `name` with a weights extension: as given, or the URL's when it has none (so the
        /// readers can place the file); else the command stops, naming --name.
        static func withExtension(_ name: String, url: URL) throws -> String {
            if weightExtensions.contains((name as NSString).pathExtension.lowercased()) { return name }
            let fromURL = url.pathExtension.lowercased()
            guard weightExtensions.contains(fromURL) else {
                throw ValidationError("--name '\(name)' has no weights extension and the URL none either; name it NAME.pth, NAME.safetensors or NAME.caffemodel")
            }
            return name + "." + fromURL
        }

        /// The SHA-256 of the file at `url`, read in pieces.
        static func sha256(of url: URL) throws -> String {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let piece = try handle.read(upToCount: 1 << 22), !piece.isEmpty { hasher.update(Array(piece)) }
            return hasher.hexDigest()
        }
    }
}

/// `nst weights list --json`'s form: the cache folder, the known files (cached size or nil)
/// and the other files in the cache.
private struct WeightsListing: Encodable {
    struct Known: Encodable {
        var name: String, fileName: String, model: String, preprocess: String, urls: [String], cachedBytes: Int?, approximateBytes: Int
    }
    struct Other: Encodable {
        var fileName: String, bytes: Int
    }
    var cache: String?, known: [Known], others: [Other]
}
