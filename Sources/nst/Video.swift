// Video: `nst video`, a clip in the style of one or more images with temporal consistency (README.md "Video").
import ArgumentParser
import Foundation
import NSTArguments
import StyleTransfer


struct Video: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a video clip in the style of one or more style images, frame by frame, with temporal consistency.",
        discussion: """
            Follows Ruder, Dosovitskiy and Brox (2016): optical flow between content frames (OpenCV), each frame \
            started from the previous result warped by the flow, and J = alpha J_content + beta J_style + gamma J_tv \
            + tau J_temporal, where J_temporal pulls each pixel the flow trusts towards the warped previous result. \
            Every option of `nst transfer` applies. Each finished frame is written at once; a signal stops after the \
            current iteration keeping only whole frames, and --resume continues. \
            Bad input exits with status 1 and one line on stderr.
            """)

    @Option(help: ArgumentHelp("The clip: a video file (.mp4, .mov, .mkv, .webm, .avi, .gif; read through FFmpeg's libraries), a printf frame pattern (frames/in-%04d.png) or a folder of frames (name order).", valueName: "video|pattern|folder"))
    var content: String

    @Option(help: ArgumentHelp("The result: a video file (.mp4: H.264, .webm: VP9, .gif), assembled at the end from a work folder <output>.nst-frames beside it, with the input's audio copied; or a frame pattern (out/%04d.png, .jpg or .tif).", valueName: "video|pattern"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("tau, the weight of J_temporal (default \(VideoOptions.defaultTemporalWeight)).", valueName: "tau"))
    var temporalWeight: Double = VideoOptions.defaultTemporalWeight

    @Option(help: ArgumentHelp("Comma-separated distances of the earlier frames J_temporal looks back to (1: the previous frame; the paper's long-term 1,2,4).", valueName: "d,d,..."))
    var temporalFrames: String = "1"

    @Option(help: ArgumentHelp("How frames after the first start: warped (the previous result moved by the flow, disocclusions from the content), content or random.", valueName: "kind"))
    var frameInit: FrameInit = .warped

    @Option(parsing: .unconditional, help: ArgumentHelp("Iterations of the first frame (default: twice --iterations).", valueName: "n"))
    var firstFrameIterations: Int?

    @Option(help: ArgumentHelp("Optical flow: dis (OpenCV's dense inverse search) or farneback.", valueName: "name"))
    var flow: FlowMethod = .dis

    @Option(parsing: .unconditional, help: ArgumentHelp("Frame rate of a video made from frame files (a video input keeps its own).", valueName: "rate"))
    var fps: Double = 24

    @Option(parsing: .unconditional, help: ArgumentHelp("Quality of a .mp4 or .webm output, the encoder's constant rate factor (lower is better; default: the encoder's).", valueName: "n"))
    var crf: Int?

    @Flag(help: "Continue an earlier run from its last finished frame (finished frames are never rewritten).")
    var resume = false

    @Option(help: ArgumentHelp("Write one CSV row per frame: the warping error against the previous result over reliable pixels, the reliable fraction, seconds, and seconds of optical flow.", valueName: "file"))
    var consistencyLog: String?

    @OptionGroup
    var common: TransferArguments

    func run() throws {
        let transfer = try common.options(content: content, output: output)
        var options = VideoOptions(transfer: transfer)
        options.temporalWeight = temporalWeight
        options.flow = flow
        options.frameInit = frameInit
        options.temporalFrames = try TransferArguments.names(temporalFrames).map { text in
            guard let d = Int(text) else { throw TransferError.option("--temporal-frames", "'\(text)' is not a whole number") }
            return d
        }
        options.firstFrameIterations = firstFrameIterations
        options.fps = fps
        options.crf = crf
        options.resume = resume
        options.consistencyLogPath = consistencyLog
        options.sizeFromClip = !common.sizeGiven
        let autotune = try AutoTune(for: transfer)
        try VideoRunner.run(options, stop: Signals.stop) { try transfer.devices.map { try DeviceSelection.makeDevice($0, autotune: autotune) } }
    }
}
