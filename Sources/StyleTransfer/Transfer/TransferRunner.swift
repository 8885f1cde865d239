// TransferRunner: one `nst transfer` run from files to files: checks, loading, the loop, atomic outputs.
import Foundation
import NSTCore
import NSTImages
import NSTWeights
import NSTMethod
import NSTInspect

/// Runs a style transfer described by `TransferOptions`, from input files to output files.
///
/// Every input and option is checked before any work, and nothing is written until the
/// run has succeeded (except the last good image and the loss log of a run that
/// diverged); each output is written atomically. Inputs are only ever read.
public enum TransferRunner {
    /// Checks, loads, optimises and writes. `makeDevice` is called after the inputs passed
    /// their checks; before any image is resized or anything is allocated on the device,
    /// the run's `MemoryEstimate` is checked against the device's memory. Returns the loss log.
    /// - Throws: `TransferError`, `WeightsError`, `ImageError` or `DeviceError`, each
    ///   printable as one line naming the option or file.
    @discardableResult
    public static func run(_ options: TransferOptions, stop: StopRequest? = nil,
                           makeDevice: () throws -> any Device) throws -> LossLog {
        try run(options, stop: stop, makeDevices: { [try makeDevice()] })
    }

    /// `run(_:makeDevice:)` with tiles spread over several devices (`--device a,b`); the
    /// first holds the image and the optimiser's state.
    @discardableResult
    /// A first `stop` request ends the run after the iteration in progress, with the image
    /// and loss log so far written (`RunEnd.report` then throws `TransferError.stopped`).
    public static func run(_ options: TransferOptions, stop: StopRequest? = nil,
                           makeDevices: () throws -> [any Device]) throws -> LossLog {
        // The files first: the plan opens the weights file (once), which must exist.
        try TransferPaths.check(options)
        let plan = try TransferPlan(options)
        let weights: VGGWeights
        if let file = plan.weightsFile {
            weights = try VGGWeights.load(from: file, depth: plan.depth, model: plan.model, preprocess: plan.preprocess)
        } else {
            weights = VGGWeights.builtIn(depth: plan.depth, model: plan.model, preprocess: plan.preprocess)
        }
        try weights.checkValues()
        let depth = plan.depth
        // Sizes come from the decoded files; resizing waits until the memory check passed.
        let contentFile = try load(options.contentPath, role: "--content")
        var styleFiles = try options.stylePaths.map { try load($0, role: "--style") }
        if options.controls.colorMatch { styleFiles = try styleFiles.map { try ColorMatch.match($0, to: contentFile) } }
        let maskFiles = try RunControls.loadMasks(options.controls)
        for stage in plan.stages {
            let contentSize = Image.size(width: contentFile.width, height: contentFile.height, longSide: stage.size)
            try checkFits(width: contentSize.width, height: contentSize.height, depth: depth, model: plan.model,
                          option: plan.stages.count > 1 ? "--start-size" : "--size")
            for (path, file) in zip(options.stylePaths, styleFiles) {
                let size = Image.size(width: file.width, height: file.height, longSide: styleSide(options, stage))
                try StyleFit.check(path: path, file: file, size: size, options: options) {
                    try checkFits(width: size.width, height: size.height, depth: depth, model: plan.model, option: "--style-scale")
                }
            }
        }
        var initialFile: Image?
        if case let .file(path) = options.initMode { initialFile = try load(path, role: "--init") }

        let devices = try makeDevices()
        guard let device = devices.first else { throw TransferError.option("--device", "names no device") }
        var log = LossLog()
        var previous: Image?
        var end = RunEnd.finished
        var lastProgress: ProgressDisplay?
        try StopRequest.check(stop, before: "the optimisation")
        // With a stop request, the engine keeps the last finished image so that an iteration
        // still running when the request is overdue can be abandoned (`StopRequest.patience`).
        let keepLastGood = options.saveEvery > 0 || stop != nil
        for (s, stage) in plan.stages.enumerated() {
            let multiStage = plan.stages.count > 1
            let contentSize = Image.size(width: contentFile.width, height: contentFile.height, longSide: stage.size)
            let size = ImageSize(height: contentSize.height, width: contentSize.width)
            let styleSizes = styleFiles.map { file -> ImageSize in
                let sized = Image.size(width: file.width, height: file.height, longSide: styleSide(options, stage))
                return ImageSize(height: sized.height, width: sized.width)
            }
            let layout = try TilePlanner.choose(plan: plan, size: size, styleSizes: styleSizes, devices: devices,
                                                forcedTile: options.large.tile, maxMemory: options.large.maxMemory,
                                                keepLastGood: keepLastGood, option: "--size \(stage.size)")
            let content = try contentFile.resized(longSide: stage.size)
            let styles = try styleFiles.map { try $0.resized(longSide: styleSide(options, stage)) }
            let initial = try s == 0 ? initialFile?.resized(width: content.width, height: content.height)
                                     : previous?.resized(width: content.width, height: content.height)
            let progress = ProgressDisplay(total: stage.iterations, quiet: options.quiet,
                                           label: multiStage ? "\(s + 1)/\(plan.stages.count) " : "")
            lastProgress = progress
            var how = "on \(devices.map(\.name).joined(separator: " + "))"
            if case let .tiled(side) = layout.layout { how += " in tiles of \(side) px" }
            progress.note("nst: " + (multiStage ? "stage \(s + 1)/\(plan.stages.count): " : "")
                          + "\(content.width)x\(content.height), \(stage.iterations) iterations of \(options.optimizer.rawValue) \(how), \(weights.source) weights")
            if let note = layout.note { progress.note("nst: " + note) }
            let masks = try maskFiles.resized(width: content.width, height: content.height)
            let engine = try blamingSize(options) {
                try TransferEngine(device: device, plan: plan, weights: weights, content: content, styles: styles,
                                   initial: initial, keepLastGood: keepLastGood, stage: stage, layout: layout,
                                   workers: devices, masks: masks)
            }
            func finish(_ image: Image) throws -> Image {
                options.controls.originalColors ? try OriginalColors.apply(result: image, content: content) : image
            }
            func snapshot(_ k: Int) -> String {
                TransferPaths.intermediate(options, iteration: k, stage: multiStage ? stage : nil)
            }
            do {
                end = try engine.run(stop: stop) { k, losses, seconds in
                    log.append(iteration: k, losses: losses, seconds: seconds, scale: stage.size)
                    progress.update(iteration: k, losses: losses, seconds: seconds)
                    if options.saveEvery > 0, k > 0, k % options.saveEvery == 0, k < stage.iterations || s + 1 < plan.stages.count {
                        try save(finish(engine.currentImage()), to: snapshot(k), plan)
                        try writePlot(log, plan)
                    }
                }
            } catch let error as TransferError {
                progress.interrupt()
                guard case let .diverged(message) = error else { throw error }
                var extra = ""
                if let lossLogPath = options.lossLogPath {
                    // Kept on purpose, for diagnosis (README.md, "What nst promises").
                    try AtomicFile.write(Data(log.csv.utf8), to: lossLogPath, role: "--loss-log")
                    extra += "; the losses so far are in '\(lossLogPath)'"
                }
                try writePlot(log, plan)
                if options.saveEvery > 0, let last = log.rows.last {
                    let path = snapshot(last.iteration)
                    try save(finish(engine.currentImage()), to: path, plan)
                    extra += "; the last good image (iteration \(last.iteration)) is in '\(path)'"
                }
                throw TransferError.diverged(message + extra)
            } catch {
                progress.interrupt()
                throw Self.withOption(error, options)
            }
            if let k = engine.stoppedAt {
                progress.interrupt()
                progress.note("nst: " + (multiStage ? "stage \(s + 1)/\(plan.stages.count): " : "") + RunControls.stopNote(options.controls, iteration: k))
            }
            previous = try engine.currentImage()
            // A stop request ends every stage: what there is becomes the output.
            let stopped: Bool
            if case .stopped = end { stopped = true } else { stopped = false }
            if s + 1 == plan.stages.count || stopped { previous = try previous.map(finish) }
            if stopped { break }
            // A stall (a minimum at this size) ends the stage; a later stage starts afresh.
            if case .stalled = end, s + 1 < plan.stages.count { end = .finished }
        }
        guard let result = previous else { throw TransferError.option("--iterations", "no stage ran") }
        try save(result, to: options.outputPath, plan)
        if let lossLogPath = options.lossLogPath {
            try AtomicFile.write(Data(log.csv.utf8), to: lossLogPath, role: "--loss-log")
        }
        try writePlot(log, plan)
        // The last stage's display, so that a note ends its unfinished terminal line first.
        try RunEnd.report(end, options: options, progress: lastProgress ?? ProgressDisplay(total: 1, quiet: options.quiet))
        if !options.quiet {
            Console.error("nst: wrote \(options.outputPath)" + (options.lossLogPath.map { " and \($0)" } ?? "")
                          + (options.plotPath.map { " and \($0)" } ?? "") + "\n")
        }
        return log
    }

    /// The style images' long side at `stage`: `--style-scale` times the stage's size, at
    /// least one pixel (the plan checked the last stage's; an earlier, smaller stage's may
    /// round to 0).
    static func styleSide(_ options: TransferOptions, _ stage: TransferStage) -> Int {
        min(max(options.styleSize(for: stage.size), 1), Image.maxSide)
    }

    /// Runs `body`, naming `--size` in a device's out-of-memory error (the backends speak of
    /// images, not options).
    static func blamingSize<T>(_ options: TransferOptions, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw withOption(error, options) }
    }

    static func withOption(_ error: any Error, _ options: TransferOptions) -> any Error {
        guard let error = error as? DeviceError, case .outOfMemory = error else { return error }
        return TransferError.option("--size \(options.size)", error.description)
    }

    /// Loads an input image; errors name the option it came from.
    static func load(_ path: String, role: String) throws -> Image { try Image.load(path: path, role: role) }

    /// Writes the loss plot of the rows so far to `--plot` (if given), read back from the
    /// log's CSV so that it sees every column the log has.
    static func writePlot(_ log: LossLog, _ plan: TransferPlan) throws {
        let options = plan.options
        guard let path = options.plotPath else { return }
        let table = try LossTable(csv: log.csv, source: options.lossLogPath ?? options.outputPath)
        try LossPlot(tables: [table], weights: plan.lossWeights).write(to: path, role: "--plot")
    }

    /// Writes `image` (clamped to [0, 1]) in the plan's encoding (`--output`'s format,
    /// `--bit-depth`, `--jpeg-quality`), atomically.
    static func save(_ image: Image, to path: String, _ plan: TransferPlan) throws {
        try image.write(to: path, encoding: plan.encoding)
    }

    /// Throws when an image of `width x height` is too small for the pooling layers in use.
    static func checkFits(width: Int, height: Int, depth: Int, model: VGGModel = .vgg19, option: String) throws {
        try model.checkFits(width: width, height: height, depth: depth, option: option)
    }
}
