// VideoOptions: what `nst video` adds to a transfer's options: the flow, the start of each frame, the temporal term, frame rate and quality, resuming, the consistency log.
import NSTVideo

/// How a frame after the first starts its optimisation.
public enum FrameInit: String, Sendable, CaseIterable {
    /// The previous frame's result warped by the flow, its disoccluded pixels taken from the content frame (default).
    case warped
    /// The content frame.
    case content
    /// Uniform noise from the seed.
    case random
}

/// The options of a video run: `transfer` holds every still-image option (its content path
/// is the clip, its output path the output video or frame pattern; its loss log gains a
/// frame column).
public struct VideoOptions: Sendable {
    /// Every `nst transfer` option (its `temporalWeight` is replaced by `temporalWeight`).
    public var transfer: TransferOptions
    /// tau, the weight of J_temporal.
    public var temporalWeight = VideoOptions.defaultTemporalWeight
    /// The optical flow algorithm.
    public var flow: FlowMethod = .dis
    /// How frames after the first start.
    public var frameInit: FrameInit = .warped
    /// The distances of the earlier frames the temporal term looks back to, ascending
    /// (`[1]`: the previous frame only; the paper's long-term variant `[1, 2, 4]`).
    public var temporalFrames: [Int] = [1]
    /// The first frame's iterations; nil: twice `transfer.iterations` (the paper's 2000 and 1000).
    public var firstFrameIterations: Int?
    /// The frame rate of an output from frame files (a video input keeps its own).
    public var fps: Double = 24
    /// The encoder's quality (constant rate factor; lower is better); nil: the codec's default here.
    public var crf: Int?
    /// Continue from the last finished frame of an earlier run.
    public var resume = false
    /// One CSV row per frame: warping error, reliable fraction, seconds.
    public var consistencyLogPath: String?
    /// Take the clip's own size (its long side, at most `transfer.size`) instead of
    /// `transfer.size`: set when no size was given, so a clip is never enlarged by default.
    public var sizeFromClip = false

    /// tau's default: the weight at which the 8-frame pan of the tests reaches the
    /// consistency target with the default content and style weights (README "The
    /// defaults, and why").
    public static let defaultTemporalWeight = 1000.0

    /// A video run with nst's defaults for everything not given.
    public init(transfer: TransferOptions) {
        self.transfer = transfer
    }

    /// The first frame's iteration count.
    public var firstIterations: Int { firstFrameIterations ?? 2 * transfer.iterations }

    /// Checks the video options' values.
    /// - Throws: `TransferError.option` naming the option.
    public func check() throws {
        guard !temporalFrames.isEmpty, temporalFrames.allSatisfy({ (1...100).contains($0) }),
              temporalFrames == Array(Set(temporalFrames)).sorted() else {
            throw TransferError.invalid(.temporalFrames, "want ascending, distinct distances of 1 to 100 frames (e.g. 1,2,4), got \(temporalFrames.map(String.init).joined(separator: ","))")
        }
        if let n = firstFrameIterations, n <= 0 { throw TransferError.invalid(.firstFrameIterations, "must be positive, got \(n)") }
        guard fps > 0, fps <= 1000, fps.isFinite else { throw TransferError.invalid(.fps, "must be a frame rate above 0 and at most 1000, got \(fps)") }
        if let crf, !(0...63).contains(crf) { throw TransferError.invalid(.crf, "must be 0 to 63 (H.264: 0 to 51), got \(crf)") }
    }
}
