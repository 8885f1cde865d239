// TransferRunner: one `nst transfer` run from files to files: checks, loading, the loop, atomic outputs.
import Foundation
import NSTCore

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
        let plan = try TransferPlan(options)
        try TransferPaths.check(options)
        let progress = ProgressDisplay(total: options.iterations, quiet: options.quiet)

        let depth = plan.depth
        let weights: VGGWeights
        if let path = options.weightsPath {
            weights = try VGGWeights.load(from: URL(fileURLWithPath: path), depth: depth)
        } else {
            weights = VGGWeights.builtIn(depth: depth)
        }
        try weights.checkValues()
        // Sizes come from the decoded files; resizing waits until the memory check passed.
        let contentFile = try load(options.contentPath, role: "--content")
        let contentSize = Image.size(width: contentFile.width, height: contentFile.height, longSide: options.size)
        try checkFits(width: contentSize.width, height: contentSize.height, depth: depth, option: "--size")
        let styleFiles = try options.stylePaths.map { try load($0, role: "--style") }
        let styleSizes = try zip(options.stylePaths, styleFiles).map { path, file -> (height: Int, width: Int) in
            let size = Image.size(width: file.width, height: file.height, longSide: options.styleSize)
            try StyleFit.check(path: path, file: file, size: size, options: options) {
                try checkFits(width: size.width, height: size.height, depth: depth, option: "--style-scale")
            }
            return (size.height, size.width)
        }
        var initialFile: Image?
        if case let .file(path) = options.initMode { initialFile = try load(path, role: "--init") }

        let device = try makeDevice()
        try MemoryEstimate(plan: plan, height: contentSize.height, width: contentSize.width, styleSizes: styleSizes,
                           keepLastGood: options.saveEvery > 0, device: device)
            .check(fits: device, option: "--size \(options.size)")
        let content = try contentFile.resized(longSide: options.size)
        let styles = try styleFiles.map { try $0.resized(longSide: options.styleSize) }
        let initial = try initialFile?.resized(width: content.width, height: content.height)

        progress.note("nst: \(content.width)x\(content.height), \(options.iterations) iterations of \(options.optimizer.rawValue) on \(device.name), \(weights.source) weights")
        let engine = try blamingSize(options) {
            try TransferEngine(device: device, plan: plan, weights: weights, content: content,
                               styles: styles, initial: initial, keepLastGood: options.saveEvery > 0)
        }
        var log = LossLog()
        let end: RunEnd
        do {
            try StopRequest.check(stop, before: "the optimisation")
            end = try engine.run(stop: stop) { k, losses, seconds in
                log.append(iteration: k, losses: losses, seconds: seconds)
                progress.update(iteration: k, losses: losses, seconds: seconds)
                if options.saveEvery > 0, k > 0, k % options.saveEvery == 0, k < options.iterations {
                    try save(engine.currentImage(), to: TransferPaths.intermediate(options, iteration: k))
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
            if options.saveEvery > 0, let last = log.rows.last {
                let path = TransferPaths.intermediate(options, iteration: last.iteration)
                try save(engine.currentImage(), to: path)
                extra += "; the last good image (iteration \(last.iteration)) is in '\(path)'"
            }
            throw TransferError.diverged(message + extra)
        } catch {
            progress.interrupt()
            throw Self.withOption(error, options)
        }
        try save(engine.currentImage(), to: options.outputPath)
        if let lossLogPath = options.lossLogPath {
            try AtomicFile.write(Data(log.csv.utf8), to: lossLogPath, role: "--loss-log")
        }
        try RunEnd.report(end, options: options, progress: progress)
        progress.note("nst: wrote \(options.outputPath)" + (options.lossLogPath.map { " and \($0)" } ?? ""))
        return log
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
    static func load(_ path: String, role: String) throws -> Image {
        do { return try Image.load(path: path) } catch let error as ImageError {
            throw TransferError.file(role: role, path: path, problem: error.reason)
        }
    }

    /// Writes `image` as a PNG (clamped to [0, 1], 8 bits), atomically.
    static func save(_ image: Image, to path: String) throws {
        try image.writePNG(to: path)
    }

    /// Throws when an image of `width x height` is too small for the pooling layers in use.
    static func checkFits(width: Int, height: Int, depth: Int, option: String) throws {
        if let layer = VGG19.shapes(height: height, width: width, depth: depth).tooSmallAt {
            throw TransferError.option(option, "gives a \(width)x\(height) image, too small for \(layer) (each side needs \(1 << (layer.last.flatMap { Int(String($0)) } ?? 1)) pixels or more); use a larger size or shallower layers")
        }
    }
}
