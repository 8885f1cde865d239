// FrameSink: a video frame's results kept in memory, so that only a finished frame is ever written (a stopped one leaves nothing).
import NSTImages
import NSTMethod

/// The pipeline's sink for one frame: snapshots and diverged images are not kept (a frame
/// is written whole or not at all); the result and log wait here for the video runner.
final class FrameSink: OutputSink {
    /// The frame's result and log once the pipeline finished (also when a stop request ended
    /// it early: the runner then discards them).
    private(set) var result: (image: Image, log: LossLog)?

    func snapshot(_ image: Image, iteration: Int, stage: TransferStage?, log: LossLog) throws {}

    func diverged(log: LossLog, lastGood: Image?, iteration: Int, stage: TransferStage?) throws -> String { "" }

    func finish(_ image: Image, log: LossLog) throws { result = (image, log) }
}
