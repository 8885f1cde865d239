// VideoRunner: `nst video`: a clip styled frame by frame with temporal consistency (Ruder et al. 2016): warped starts, the temporal term, frames written whole, resumable.
import Dispatch
import Foundation
import NSTCore
import NSTImages
import NSTMethod
import NSTVideo

/// Runs a video transfer (README "Video"). One plan, one network and one set of style
/// targets serve the whole clip (`EngineCache`); each frame runs the still-image pipeline
/// with the earlier results warped into it as its start and as the temporal term's targets.
///
/// Each finished frame is written atomically before the next begins; a stop request ends
/// the run after the iteration in progress and keeps only the finished frames, which
/// `VideoOptions.resume` continues from (frame k's result, read back from its file, is the
/// next frame's previous result, so a resumed run computes what an uninterrupted one does).
public enum VideoRunner {
    /// Runs `options`. `makeDevices` is called once, after every check.
    /// - Throws: `TransferError` (options, files, `.stopped`), `VideoError`, `ImageError`,
    ///   `WeightsError` or `DeviceError`, each printable as one line.
    public static func run(_ options: VideoOptions, stop: StopRequest? = nil, makeDevices: () throws -> [any Device]) throws {
        try options.check()
        var transfer = options.transfer
        let output = try FrameOutput(path: transfer.outputPath)
        let source = try FrameSource(path: transfer.contentPath)
        let total = source.count
        let finished = output.finishedFrames(limit: total)
        if finished > 0, !options.resume {
            throw TransferError.file(.output, path: output.framePath(1), problem: "and \(finished - 1) more frames exist from an earlier run; pass \(TransferOption.resume) to continue it, or remove them")
        }
        if options.sizeFromClip { transfer.size = min(max(source.firstSize.width, source.firstSize.height), transfer.size) }
        // The still-image checks (styles, weights, masks, the other outputs) with the first frame's path as the output.
        var frameOptions = transfer
        frameOptions.outputPath = output.framePath(1)
        frameOptions.contentPath = source.firstPath
        if output.workFolder != nil { frameOptions.outputPath = output.path + ".png" }
        try TransferPaths.check(frameOptions)
        frameOptions.contentPath = transfer.contentPath
        frameOptions.outputPath = output.framePath(1)
        frameOptions.lossLogPath = nil
        frameOptions.plotPath = nil
        frameOptions.saveEvery = 0
        frameOptions.temporalWeight = options.temporalWeight
        var firstOptions = frameOptions
        firstOptions.iterations = options.firstIterations
        let plan = try TransferPlan(frameOptions)
        let firstPlan = try TransferPlan(firstOptions, weights: plan.weightsFile)
        let weights = try plan.loadWeights()
        let styles = try transfer.stylePaths.map { try Image.load(path: $0, role: TransferOption.style.rawValue) }
        let masks = try RunControls.loadMasks(transfer.controls)
        try output.prepare()
        let quiet = transfer.quiet
        func note(_ text: String) { if !quiet { Console.error(text + "\n") } }
        if finished > 0 { note("nst: resuming: frames 1-\(finished) of \(total) are finished") }
        let devices = try makeDevices()
        guard let device = devices.first else { throw TransferError.invalid(.device, "names no device") }
        let cache = EngineCache(sharesStyleTargets: !transfer.controls.colorMatch)
        let reach = options.temporalFrames.last ?? 1
        let lossHeader = LossLog.videoHeader(averageColumn: plan.averageDecay != nil)
        var lossLog = transfer.lossLogPath.map { FrameCSV(path: $0, header: lossHeader, role: .lossLog, keepBefore: finished + 1) }
        var consistency = options.consistencyLogPath.map {
            FrameCSV(path: $0, header: ConsistencyLog.header, role: .consistencyLog, keepBefore: finished + 1)
        }
        // The content frames and results of the last `reach` frames, by frame number.
        var contents: [Int: Image] = [:], results: [Int: Image] = [:]
        var frameSeconds: [Double] = []
        var k = 0
        while let frame = try source.next() {
            k += 1
            let content = try frame.resized(longSide: transfer.size)
            contents[k] = content
            contents[k - reach - 1] = nil
            results[k - reach - 1] = nil
            if k <= finished {
                // An earlier run's frame: only the last `reach` results are needed.
                if k > finished - reach { results[k] = try Image.load(path: output.framePath(k), role: TransferOption.output.rawValue) }
                continue
            }
            if let signal = stop?.signal {
                let kept = k > 1 ? "frames 1-\(k - 1) are finished in '\(output.workFolder ?? output.path)'; \(TransferOption.resume) continues" : "nothing was written"
                throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)) before frame \(k) of \(total); \(kept)")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let framePlan = (k == 1 ? firstPlan : plan).with(k == 1 ? firstOptions : frameOptions)
            var inputs = try RunInputs(plan: framePlan, content: content, styles: styles, masks: masks)
            var frameTargets: FrameTargets?
            if k == 1 {
                try inputs.loadInitial(framePlan)
            } else {
                let earlier = options.temporalFrames.compactMap { d -> (content: Image, result: Image)? in
                    guard let c = contents[k - d], let r = results[k - d] else { return nil }
                    return (c, r)
                }
                let targets = try FrameTargets.make(content: content, earlier: earlier, method: options.flow, device: device)
                frameTargets = targets
                inputs.temporal = targets.targets
                switch options.frameInit {
                case .warped: inputs.initial = try targets.warpedStart(content: content)
                case .content: inputs.initial = content
                case .random:
                    inputs.initial = try Image(width: content.width, height: content.height,
                                               pixels: TransferEngine.noise(count: 3 * content.planeCount, seed: transfer.seed &+ UInt64(k)))
                }
            }
            let sizes = try StageSizes.all(framePlan, inputs)
            let sink = FrameSink()
            var pipeline = try TransferPipeline(plan: framePlan, weights: weights, inputs: inputs, sizes: sizes, devices: devices,
                                                sink: sink, cache: cache)
            pipeline.label = "frame \(k)/\(total) "
            pipeline.notes = k == finished + 1
            let later = frameSeconds.suffix(3)
            pipeline.secondsAfter = later.isEmpty ? 0 : later.reduce(0, +) / Double(later.count) * Double(total - k)
            do {
                _ = try pipeline.run(stop: stop)
            } catch let error as TransferError {
                if case let .stopped(signal, _) = error {
                    let kept = k > 1 ? "frames 1-\(k - 1) are finished in '\(output.workFolder ?? output.path)'; \(TransferOption.resume) continues" : "no frame was finished"
                    throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)) in frame \(k) of \(total); \(kept)")
                }
                throw TransferError.option("frame \(k) of \(total)", error.description)
            }
            guard let (image, log) = sink.result else { throw TransferError.invalid(.iterations, "frame \(k) gave no result") }
            let path = output.framePath(k)
            try image.write(to: path, encoding: framePlan.encoding)
            // The result as written is the next frames' previous result (so a resumed run computes the same).
            let written = try Image.load(path: path, role: TransferOption.output.rawValue)
            results[k] = written
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if k > 1 { frameSeconds.append(seconds) }
            try lossLog?.append(log.videoRows(frame: k))
            let measure = frameTargets.map { FlowReliability.warpingError(result: written.pixels, warped: $0.previous.warped.pixels,
                                                                          weights: $0.previous.reliable) }
            try consistency?.append([ConsistencyLog.row(frame: k, error: measure?.error, reliable: measure?.reliable, seconds: seconds,
                                                        flowSeconds: frameTargets?.flowSeconds ?? 0)])
        }
        guard k == total else {
            throw TransferError.file(.content, path: transfer.contentPath, problem: "gave \(k) frames on the second reading, \(total) on the first")
        }
        if output.workFolder != nil {
            try StopRequest.check(stop, before: "the video is assembled (all \(total) frames are finished; \(TransferOption.resume) assembles it)")
            let audioNote = try output.assemble(count: total, fps: source.fps ?? options.fps, crf: options.crf,
                                                audioFrom: source.hasAudio ? source.path : nil) { Console.error($0 + "\n") }
            if let audioNote { Console.error("nst: note: \(audioNote)\n") }
        }
        note("nst: wrote \(total) frames to \(output.path)" + (transfer.lossLogPath.map { " and \($0)" } ?? "")
             + (options.consistencyLogPath.map { " and \($0)" } ?? ""))
    }
}
