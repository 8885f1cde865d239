// FrameTargets: what a frame after the first takes from the earlier ones: optical flow, reliability, the earlier results warped into it (the temporal term's targets) and its warped start.
import Dispatch
import NSTCore
import NSTImages
import NSTMethod
import NSTVideo

/// The temporal inputs of one frame, computed on the run's device (`DeviceOp.warp`) from
/// the content frames and the earlier results.
struct FrameTargets {
    /// One target per earlier frame, nearest first, with the long-term weights.
    var targets: [TemporalTarget]
    /// The previous result warped into this frame, and its reliability (`c`, before the
    /// long-term weights): the consistency log's measure and the warped start use them.
    var previous: (warped: Image, reliable: [Float])
    /// Seconds spent computing optical flow.
    var flowSeconds: Double

    /// - Parameters:
    ///   - content: this frame's content image.
    ///   - earlier: for each distance d of `--temporal-frames` with a frame d back: that
    ///     frame's content and result, nearest first.
    static func make(content: Image, earlier: [(content: Image, result: Image)], method: FlowMethod,
                     device: any Device) throws -> FrameTargets {
        var flowSeconds = 0.0
        var warped: [Image] = [], reliable: [[Float]] = []
        for (before, result) in earlier {
            let start = DispatchTime.now().uptimeNanoseconds
            // b: this frame back to the earlier one; f: the earlier one forward to this one.
            let backward = try OpticalFlow.compute(from: content, to: before, method: method)
            let forward = try OpticalFlow.compute(from: before, to: content, method: method)
            flowSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let (w, h) = (content.width, content.height)
            let flow = backward.dx + backward.dy
            let forwardWarped = try warp(forward.dx + forward.dy, channels: 2, width: w, height: h, flow: flow, device: device)
            let plane = w * h
            reliable.append(FlowReliability.weights(backward: (backward.dx, backward.dy),
                                                    forwardWarped: (Array(forwardWarped[..<plane]), Array(forwardWarped[plane...])),
                                                    width: w, height: h))
            warped.append(try Image(width: w, height: h, pixels: warp(result.pixels, channels: 3, width: w, height: h, flow: flow, device: device)))
        }
        let weights = FlowReliability.longTerm(reliable)
        let targets = try zip(warped, weights).map { try TemporalTarget(warped: $0, weights: $1) }
        guard let first = warped.first, let c = reliable.first else {
            throw TransferError.invalid(.temporalFrames, "a frame after the first has no earlier frame")
        }
        return FrameTargets(targets: targets, previous: (first, c), flowSeconds: flowSeconds)
    }

    /// The warped start: the previous result warped into this frame, with the pixels it
    /// cannot supply (`c = 0`: disoccluded, from outside, boundaries) taken from the content.
    func warpedStart(content: Image) throws -> Image {
        let plane = content.planeCount, c = previous.reliable, w = previous.warped.pixels
        let pixels = (0..<(3 * plane)).map { i in c[i % plane] > 0 ? w[i] : content.pixels[i] }
        return try Image(width: content.width, height: content.height, pixels: pixels)
    }

    /// `values [channels,H,W]` warped backward by `flow [2,H,W]` on `device`.
    static func warp(_ values: [Float], channels: Int, width: Int, height: Int, flow: [Float], device: any Device) throws -> [Float] {
        let source = try device.makeTensor(Shape(channels, height, width)), output = try device.makeTensor(Shape(channels, height, width))
        let field = try device.makeTensor(Shape(2, height, width))
        try device.upload(values, to: source)
        try device.upload(flow, to: field)
        try device.execute(.warp(source: source, flow: field, output: output))
        return try device.download(output)
    }
}
