// OutputSink: where a run's results go (the image, snapshots, the loss log, the plot, what a diverged run keeps), as files or, for tests and other front ends, anywhere else.
import Foundation
import NSTCore
import NSTImages
import NSTInspect
import NSTMethod

/// The receiver of a run's results. The pipeline hands it images that are final (clamped
/// and colour-controlled when written); it decides where they go.
protocol OutputSink {
    /// The snapshot of `iteration` of `stage` (nil: a single-stage run), with the log so far.
    func snapshot(_ image: Image, iteration: Int, stage: TransferStage?, log: LossLog) throws
    /// The run diverged: keeps what helps a diagnosis (the log so far, and the last good
    /// image when snapshots are on) and returns what it kept, in words ("" for nothing).
    func diverged(log: LossLog, lastGood: Image?, iteration: Int, stage: TransferStage?) throws -> String
    /// The result and the whole log.
    func finish(_ image: Image, log: LossLog) throws
}

/// The files `nst transfer` writes: the output image, the numbered snapshots, the loss log
/// and the plot, each written atomically, named by the plan's options.
struct FileSink: OutputSink {
    let plan: TransferPlan

    func snapshot(_ image: Image, iteration: Int, stage: TransferStage?, log: LossLog) throws {
        try image.write(to: TransferPaths.intermediate(plan.options, iteration: iteration, stage: stage), encoding: plan.encoding)
        try writePlot(log)
    }

    func diverged(log: LossLog, lastGood: Image?, iteration: Int, stage: TransferStage?) throws -> String {
        var kept = ""
        if let lossLogPath = plan.options.lossLogPath {
            // Kept on purpose, for diagnosis (README.md, "What nst promises").
            try AtomicFile.write(Data(log.csv.utf8), to: lossLogPath, role: TransferOption.lossLog.rawValue)
            kept += "; the losses so far are in '\(lossLogPath)'"
        }
        try writePlot(log)
        if let lastGood {
            let path = TransferPaths.intermediate(plan.options, iteration: iteration, stage: stage)
            try lastGood.write(to: path, encoding: plan.encoding)
            kept += "; the last good image (iteration \(iteration)) is in '\(path)'"
        }
        return kept
    }

    func finish(_ image: Image, log: LossLog) throws {
        try image.write(to: plan.options.outputPath, encoding: plan.encoding)
        if let lossLogPath = plan.options.lossLogPath {
            try AtomicFile.write(Data(log.csv.utf8), to: lossLogPath, role: TransferOption.lossLog.rawValue)
        }
        try writePlot(log)
    }

    /// Writes the loss plot of the rows so far (if one is asked for), read back from the
    /// log's CSV so that it sees every column the log has.
    private func writePlot(_ log: LossLog) throws {
        let options = plan.options
        guard let path = options.plotPath else { return }
        let table = try LossTable(csv: log.csv, source: options.lossLogPath ?? options.outputPath)
        try LossPlot(tables: [table], weights: plan.lossWeights).write(to: path, role: TransferOption.plot.rawValue)
    }
}
