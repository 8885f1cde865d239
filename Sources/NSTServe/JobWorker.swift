// JobWorker: one thread per device that runs the queued jobs one at a time through TransferRunner, telling the store of every iteration and image; a failing job fails alone.
import Dispatch
import Foundation
import NSTCore
import NSTImages
import NSTMethod
import StyleTransfer

/// Runs jobs on one device. The device is opened once, at the first job.
final class JobWorker: @unchecked Sendable {
    let store: JobStore
    let choice: DeviceChoice
    /// Whether the first job may tune an OpenCL device that has no tuning file (`AutoTune`).
    let autotune: Bool
    private var device: (any Device)?
    private let done = DispatchSemaphore(value: 0)

    init(store: JobStore, choice: DeviceChoice, autotune: Bool = true) {
        self.store = store
        self.choice = choice
        self.autotune = autotune
    }

    /// Starts the worker's thread.
    func start() {
        let thread = Thread { [self] in
            while let job = store.next() { run(job) }
            done.signal()
        }
        thread.name = "nst serve: \(choice)"
        thread.start()
    }

    /// Waits until the thread has ended (after the store closed).
    func wait() { done.wait() }

    private func run(_ job: Job) {
        store.update(job, persist: true) { _ in }
        do {
            guard let options = job.options else { throw TransferError.option("options", "the job has no options") }
            let device = try self.device ?? DeviceSelection.makeDevice(choice, autotune: autotune ? AutoTune(for: options) : nil)
            self.device = device
            let observer = JobObserver(store: store, job: job)
            try TransferRunner.run(options, stop: job.stop, observer: observer) { [device] }
            observer.finish()
            store.update(job, persist: true) { $0.status.state = .done }
        } catch let error as TransferError {
            if case let .stopped(signal, _) = error {
                store.update(job, persist: true) {
                    $0.status.state = .stopped
                    $0.status.error = "stopped by \(signal == SIGTERM ? "a request" : StopRequest.name(signal)); the image so far is kept"
                }
            } else {
                fail(job, error)
            }
        } catch {
            fail(job, error)
        }
    }

    private func fail(_ job: Job, _ error: any Error) {
        store.update(job, persist: true) {
            $0.status.state = .failed
            $0.status.error = "\(error)"
        }
    }
}

/// Turns a run's iterations and images into the job's status, live image and log.
final class JobObserver: TransferObserver {
    let store: JobStore
    let job: Job
    /// Images are encoded at most twice a second: the page reloads them, the run waits for them.
    let imageInterval = 0.5

    init(store: JobStore, job: Job) {
        self.store = store
        self.job = job
    }

    func iteration(_ iteration: Int, of total: Int, stage: Int, stages: Int, losses: LossValues, seconds: Double) {
        let rate = iteration > 0 && seconds > 0 ? Double(iteration) / seconds : nil
        store.update(job) {
            $0.log.append(iteration: iteration, losses: losses, seconds: seconds, scale: 0)
            $0.status.iteration = iteration
            $0.status.iterations = total
            $0.status.stage = stage + 1
            $0.status.stages = stages
            $0.status.seconds = seconds
            $0.status.losses = JobLosses(total: losses.total, content: losses.content, style: losses.style, tv: losses.tv)
            $0.status.eta = rate.map { Double(total - iteration) / $0 }
        }
    }

    func image(_ image: Image, iteration: Int, stage: Int) {
        guard let png = try? image.encoded(ImageEncoding(format: .png), path: "live image") else { return }
        store.update(job) {
            $0.png = Data(png)
            $0.status.imageIteration = iteration
        }
    }

    /// After the run: the log as the run wrote it (with its stage sizes) replaces the one kept here.
    func finish() {
        guard let path = job.options?.lossLogPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        store.update(job) { $0.writtenCSV = text }
    }
}
