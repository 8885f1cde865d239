// RunEnd: how an optimisation loop ended (all iterations, a stop request, or no further progress).
import NSTCore

/// How `TransferEngine.run` ended; in every case the engine's image is the one of the last
/// reported iteration.
public enum RunEnd: Equatable, Sendable {
    /// Every planned iteration ran.
    case finished
    /// A `StopRequest` for `signal` ended the run after `iteration` iterations.
    case stopped(signal: Int32, iteration: Int)
    /// The optimiser found no step lowering J after `iteration` iterations (J is at a
    /// minimum to float precision); the remaining iterations would change nothing.
    case stalled(iteration: Int)
}

extension RunEnd {
    /// After the outputs were written: a note for a stalled run, and for a stopped one the
    /// `TransferError.stopped` that makes the command exit 128 + signal. `stage` is the stage
    /// that ended, whose iterations the note counts against.
    static func report(_ end: RunEnd, options: TransferOptions, stage: TransferStage, progress: ProgressDisplay) throws {
        let written = "wrote '\(options.outputPath)'" + (options.lossLogPath.map { " and '\($0)'" } ?? "")
        switch end {
        case .finished: return
        case let .stalled(k):
            // Printed even with TransferOption.quiet: the run did fewer iterations than asked.
            progress.interrupt()
            Console.error("nst: note: stopped after iteration \(k) of \(stage.iterations): no step of the line search lowers J any more (a minimum to float precision); \(written)\n")
        case let .stopped(signal, k):
            progress.interrupt()
            throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)) after iteration \(k) of \(stage.iterations); \(written)")
        }
    }
}

extension StopRequest {
    /// Throws `TransferError.stopped` when a stop was requested before `stage` began
    /// (nothing has been written yet).
    static func check(_ request: StopRequest?, before stage: String) throws {
        guard let signal = request?.signal else { return }
        throw TransferError.stopped(signal: signal, "stopped by \(name(signal)) before \(stage); nothing was written")
    }
}
