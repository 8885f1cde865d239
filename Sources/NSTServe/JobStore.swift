// JobStore: the server's jobs: their folders under --data, their status (kept in status.json), the queue the workers take from, and the listeners of each job's events.
import Foundation
import NSTCore
import StyleTransfer
import Synchronization

/// A job as the store keeps it: its status, its folder, its options and what it is running with.
final class Job: @unchecked Sendable {
    let id: String
    let folder: URL
    /// Guarded by the store's lock.
    var status: JobStatus
    var options: TransferOptions?
    /// alpha, beta and gamma as the job's plan resolved them (the plot's weights).
    let lossWeights: LossWeights
    let stop = StopRequest()
    /// The last image as PNG (the live image).
    var png: Data?
    /// The losses so far, a row appended per iteration; the CSV is made when asked for.
    var log = LossLog()
    /// The log as the run wrote it, once it has.
    var writtenCSV: String?

    init(id: String, folder: URL, status: JobStatus, options: TransferOptions?, lossWeights: LossWeights = .defaults) {
        self.id = id
        self.folder = folder
        self.status = status
        self.options = options
        self.lossWeights = lossWeights
    }
}

/// All jobs, shared by the request handlers and the workers.
final class JobStore: @unchecked Sendable {
    let root: URL
    private let lock = NSCondition()
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var listeners: [String: [UUID: AsyncStream<String>.Continuation]] = [:]
    private var closed = false

    /// The store of `folder/jobs`, with the jobs an earlier server left there (one that was
    /// queued or running then is stopped now: the server stopped before it finished).
    init(folder: String) throws {
        root = URL(fileURLWithPath: folder).appendingPathComponent("jobs")
        do { try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true) } catch {
            throw TransferError.file(role: "--data", path: folder, problem: "cannot hold the jobs' folders: \(ErrorWords.describe(error))")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var found: [Job] = []
        for name in names where JobID.isValid(name) {
            let folder = root.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: folder.appendingPathComponent("status.json")),
                  var status = try? JSONDecoder().decode(JobStatus.self, from: data), status.id == name else { continue }
            if !status.state.isFinal {
                status.state = .stopped
                status.error = "the server stopped before the job finished"
            }
            found.append(Job(id: name, folder: folder, status: status, options: nil))
        }
        for job in found.sorted(by: { $0.status.created < $1.status.created }) {
            jobs[job.id] = job
            order.append(job.id)
        }
    }

    /// The job `id`, or nil (for any text that is not a job's id).
    func job(_ id: some StringProtocol) -> Job? {
        guard JobID.isValid(id) else { return nil }
        return lock.withLock { jobs[String(id)] }
    }

    /// Every job's status, oldest first.
    func all() -> [JobStatus] { lock.withLock { order.compactMap { jobs[$0]?.status } } }

    /// The status of `job`, read under the lock.
    func status(_ job: Job) -> JobStatus { lock.withLock { job.status } }

    /// The live image and log of `job`.
    func outputs(_ job: Job) -> (png: Data?, csv: String) {
        lock.withLock { (job.png, job.writtenCSV ?? (job.log.rows.isEmpty ? "" : job.log.csv)) }
    }

    /// Adds a queued job and wakes a worker.
    func add(_ job: Job) throws {
        try save(job.status, in: job.folder)
        lock.withLock {
            jobs[job.id] = job
            order.append(job.id)
            lock.broadcast()
        }
    }

    /// The oldest queued job, marked running; waits for one; nil once the store is closed.
    func next() -> Job? {
        lock.withLock {
            while !closed {
                if let id = order.first(where: { jobs[$0]?.status.state == .queued }), let job = jobs[id] {
                    job.status.state = .running
                    return job
                }
                lock.wait()
            }
            return nil
        }
    }

    /// Changes `job`'s status with `change` and tells its listeners; `persist` also writes status.json.
    func update(_ job: Job, persist: Bool = false, _ change: (Job) -> Void) {
        let (status, continuations) = lock.withLock { () -> (JobStatus, [AsyncStream<String>.Continuation]) in
            change(job)
            return (job.status, Array(listeners[job.id, default: [:]].values))
        }
        if persist { try? save(status, in: job.folder) }
        let text = Self.json(status)
        for continuation in continuations {
            continuation.yield(text)
            if status.state.isFinal { continuation.finish() }
        }
    }

    /// Asks a queued or running job to stop; a queued one stops at once. Returns false when it had ended.
    @discardableResult
    func stop(_ job: Job) -> Bool {
        let wasQueued = lock.withLock { () -> Bool? in
            switch job.status.state {
            case .queued:
                job.status.state = .stopped
                job.status.error = "stopped before it began"
                return true
            case .running:
                return false
            default:
                return nil
            }
        }
        guard let wasQueued else { return false }
        if wasQueued { update(job, persist: true) { _ in } } else { _ = job.stop.request(signal: SIGTERM) }
        return true
    }

    /// A stream of `job`'s status as JSON: now, then at each change, ending with its final state.
    func events(_ job: Job) -> AsyncStream<String> {
        AsyncStream { continuation in
            let key = UUID()
            let status = lock.withLock { () -> JobStatus in
                listeners[job.id, default: [:]][key] = continuation
                return job.status
            }
            continuation.yield(Self.json(status))
            if status.state.isFinal { continuation.finish() }
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.withLock { _ = self.listeners[job.id]?.removeValue(forKey: key) }
            }
        }
    }

    /// Stops taking jobs: running ones are asked to stop, idle workers end.
    func close() -> [Job] {
        lock.withLock {
            closed = true
            lock.broadcast()
            return jobs.values.filter { $0.status.state == .running }
        }
    }

    /// Writes `status` to the job's status.json atomically.
    private func save(_ status: JobStatus, in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicWrite.write([UInt8](try encoder.encode(status)), to: folder.appendingPathComponent("status.json").path)
    }

    /// `status` as one line of JSON.
    static func json(_ status: JobStatus) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(status), as: UTF8.self)) ?? "{}"
    }
}
