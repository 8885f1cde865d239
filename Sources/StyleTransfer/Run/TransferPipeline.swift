// TransferPipeline: a run as a sequence of stages on decoded inputs: layouts chosen once, one engine per stage, results handed to an output sink.
import NSTCore
import NSTImages
import NSTMethod
import NSTWeights

/// One run of a plan on inputs in memory: the stage sizes and layouts are worked out once,
/// each stage's engine starts from the last one's result, and every result goes to `sink`.
/// It reads and writes no file itself, so a test drives it with images and a sink in
/// memory, and later front ends (video frames, batches of contents) reuse it: one plan,
/// one network, many items.
struct TransferPipeline {
    let plan: TransferPlan
    let weights: VGGWeights
    let inputs: RunInputs
    let sizes: [StageSizes]
    /// The devices tiles go to; the first holds the image and the optimiser's state.
    let devices: [any Device]
    let sink: any OutputSink
    /// Networks and style targets shared with other items of the same plan (a batch).
    let cache: EngineCache
    /// Other processes sharing the tiles of tiled stages (an MPI job's ranks), or nil.
    let remote: (any RemoteTiles)?
    /// Put before each progress line (a video's `frame 3/8 `).
    var label = ""
    /// Seconds the work after this run is expected to take (a video's later frames), added
    /// to the progress display's time left.
    var secondsAfter = 0.0
    /// Whether the setup notes (size, iterations, devices, layout) are printed.
    var notes = true
    /// Told of every iteration and, now and then, of the image so far (`nst serve`).
    var observer: (any TransferObserver)?

    /// - Throws: `TransferError.option` naming the device option when `devices` is empty.
    init(plan: TransferPlan, weights: VGGWeights, inputs: RunInputs, sizes: [StageSizes], devices: [any Device],
         sink: any OutputSink, cache: EngineCache? = nil, remote: (any RemoteTiles)? = nil) throws {
        guard !devices.isEmpty else { throw TransferError.invalid(.device, "names no device") }
        self.plan = plan
        self.weights = weights
        self.inputs = inputs
        self.sizes = sizes
        self.devices = devices
        self.sink = sink
        self.cache = cache ?? EngineCache(sharesStyleTargets: false)
        self.remote = remote
    }

    /// Each stage's layout (whole or tiled, and the L-BFGS history), chosen before any
    /// work, with the controls that need the whole image refused for a tiled stage.
    /// - Throws: `TransferError.option` naming the size or the control.
    func layouts(keepLastGood: Bool) throws -> [StageLayout] {
        let options = plan.options
        return try sizes.map { stage in
            let layout = try TilePlanner.choose(plan: plan, size: stage.content, styleSizes: stage.styles, devices: devices,
                                                forcedTile: options.large.tile, maxMemory: options.large.maxMemory,
                                                keepLastGood: keepLastGood, option: "\(TransferOption.size) \(stage.stage.size)")
            if case .tiled = layout.layout, let option = options.controls.untiledOption {
                throw TransferError.option(option, "needs the whole-image evaluation, but this stage runs in tiles (\(TransferOption.tile), or an image too large for the memory budget); use a smaller \(TransferOption.size) or a larger \(TransferOption.maxMemory)")
            }
            return layout
        }
    }

    /// Runs every stage and hands the result to the sink. A first `stop` request ends the
    /// run after the iteration in progress, with the result so far written (then
    /// `TransferError.stopped` is thrown). Returns the loss log.
    func run(stop: StopRequest?) throws -> LossLog {
        let options = plan.options
        try StopRequest.check(stop, before: "the optimisation")
        // With a stop request, the engine keeps the last finished image so that an iteration
        // still running when the request is overdue can be abandoned (`StopRequest.patience`).
        let keepLastGood = options.saveEvery > 0 || stop != nil
        let layouts = try layouts(keepLastGood: keepLastGood)
        let device = devices[0], count = sizes.count, multiStage = count > 1
        var log = LossLog(averageColumn: plan.averageDecay != nil)
        var previous: Image?
        // Adam's state at the end of the last stage, which the next one starts from.
        var carried: AdamState?
        var end = RunEnd.finished
        var last: (progress: ProgressDisplay, stage: TransferStage)?
        for (s, (sized, layout)) in zip(sizes, layouts).enumerated() {
            let stage = sized.stage
            let content = try inputs.content.resized(longSide: stage.size)
            let styles = try inputs.styles.map { try $0.resized(longSide: sized.styleSide) }
            let initial = try s == 0 ? inputs.initial?.resized(width: content.width, height: content.height)
                                     : previous?.resized(width: content.width, height: content.height)
            let progress = ProgressDisplay(total: stage.iterations, quiet: options.quiet,
                                           label: self.label + (multiStage ? "\(s + 1)/\(count) " : ""))
            progress.secondsAfter = secondsAfter
            last = (progress, stage)
            var how = "on \(devices.map(\.name).joined(separator: " + "))"
            if case let .tiled(side) = layout.layout { how += " in tiles of \(side) px" }
            let prefix = "nst: " + (multiStage ? "stage \(s + 1)/\(count): " : "")
            if notes {
                progress.note(prefix + "\(content.width)x\(content.height), \(stage.iterations) iterations of \(options.optimizer.rawValue) \(how), \(weights.source) weights")
                if let note = layout.note { progress.note("nst: " + note) }
            }
            let masks = try inputs.masks.resized(width: content.width, height: content.height)
            let temporal = try inputs.temporal.map { try $0.resized(width: content.width, height: content.height) }
            let engine = try blamingSize {
                try TransferEngine(device: device, plan: plan, weights: weights, content: content, styles: styles,
                                   initial: initial, keepLastGood: keepLastGood, stage: stage, layout: layout,
                                   workers: devices, masks: masks, cache: cache, remote: remote, temporal: temporal,
                                   warmStart: carried)
            }
            let snapshotStage = multiStage ? stage : nil
            var lastImage = -Double.infinity
            do {
                end = try engine.run(stop: stop) { k, losses, seconds in
                    log.append(iteration: k, losses: losses, seconds: seconds, scale: stage.size)
                    progress.update(iteration: k, losses: losses, seconds: seconds)
                    if let observer {
                        observer.iteration(k, of: stage.iterations, stage: s, stages: count, losses: losses, seconds: seconds)
                        if k == stage.iterations || seconds - lastImage >= observer.imageInterval {
                            lastImage = seconds
                            observer.image(try ColorHooks.after(plan, image: engine.resultImage(), content: content), iteration: k, stage: s)
                        }
                    }
                    if options.saveEvery > 0, k > 0, k % options.saveEvery == 0, k < stage.iterations || s + 1 < count {
                        try sink.snapshot(ColorHooks.after(plan, image: engine.resultImage(), content: content),
                                          iteration: k, stage: snapshotStage, log: log)
                    }
                }
            } catch let error as TransferError {
                progress.interrupt()
                guard case let .diverged(message) = error else { throw error }
                let lastRow = options.saveEvery > 0 ? log.rows.last : nil
                let lastGood = try lastRow.map { _ in try ColorHooks.after(plan, image: engine.resultImage(), content: content) }
                let kept = try sink.diverged(log: log, lastGood: lastGood, iteration: lastRow?.iteration ?? 0, stage: snapshotStage)
                throw TransferError.diverged(message + kept)
            } catch {
                progress.interrupt()
                throw withOption(error)
            }
            if let k = engine.stoppedAt {
                progress.interrupt()
                progress.note(prefix + RunControls.stopNote(options.controls, iteration: k))
            }
            previous = try engine.resultImage()
            // A stop request ends every stage: what there is becomes the output.
            let stopped: Bool
            if case .stopped = end { stopped = true } else { stopped = false }
            // J at the average costs one more evaluation: a stop, which must not wait, skips it.
            if !stopped, let averaged = try blamingSize({ try engine.averageLosses() }) { log.setAverage(averaged.total) }
            if !stopped, s + 1 < count { carried = try engine.carriedState() }
            if s + 1 == count || stopped { previous = try previous.map { try ColorHooks.after(plan, image: $0, content: content) } }
            if stopped { break }
            // A stall (a minimum at this size) ends the stage; a later stage starts afresh.
            if case .stalled = end, s + 1 < count { end = .finished }
        }
        guard let result = previous, let last else { throw TransferError.invalid(.iterations, "no stage ran") }
        try sink.finish(result, log: log)
        // The last stage's display, so that a note ends its unfinished terminal line first.
        try RunEnd.report(end, options: options, stage: last.stage, progress: last.progress)
        return log
    }

    /// Runs `body`, naming the size option in a device's out-of-memory error (the backends
    /// speak of images, not options).
    private func blamingSize<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw withOption(error) }
    }

    private func withOption(_ error: any Error) -> any Error { Self.naming(error, size: plan.options.size) }

    /// `error`, or for a device's out-of-memory error the same naming the size option and `size`.
    static func naming(_ error: any Error, size: Int) -> any Error {
        guard let error = error as? DeviceError, case .outOfMemory = error else { return error }
        return TransferError.option("\(TransferOption.size) \(size)", error.description)
    }
}
