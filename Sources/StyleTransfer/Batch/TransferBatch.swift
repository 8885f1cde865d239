// TransferBatch: many contents in one run: one plan, one network and one set of style targets, each content written alone, a bad one failing alone.
import Foundation
import NSTCore
import NSTImages
import NSTMethod

/// How a batch went.
public struct BatchSummary: Equatable, Sendable, CustomStringConvertible {
    /// Contents whose outputs were written, left alone (`TransferOption.skipExisting`), or that failed.
    public var written = 0, skipped = 0, failed = 0
    /// The failed contents, in order.
    public var failures: [String] = []

    /// `3 written, 1 skipped, 1 failed`.
    public var description: String { "\(written) written, \(skipped) skipped, \(failed) failed" }
}

/// Thrown after a batch in which some contents failed (each was reported as it failed).
public struct BatchFailures: Error, CustomStringConvertible {
    /// The batch's counts and failed contents.
    public let summary: BatchSummary

    /// The failures of `summary`.
    public init(summary: BatchSummary) { self.summary = summary }

    /// `1 of 4 contents failed: b.png`.
    public var description: String {
        "\(summary.failed) of \(summary.written + summary.skipped + summary.failed) contents failed: \(summary.failures.joined(separator: ", "))"
    }
}

/// A run over several contents (README "Many images, many machines"). The plan is made
/// once (the weights file opened once), the style and mask images decoded once, the
/// devices opened once, and the engines share each device's network and the style targets
/// per size (`EngineCache`), so a batch costs its contents' optimisations and little more.
/// Each content's result equals the one a run of that content alone gives.
public enum TransferBatch {
    /// Runs `options` (its content path ignored) on each of `contents`, in order.
    /// - Parameters:
    ///   - skipExisting: leave a content alone when its output exists.
    ///   - report: called with each content's error (the batch goes on with the next one).
    /// - Returns: what was written, skipped and failed.
    /// - Throws: errors that concern the whole batch (options, style or weights files,
    ///   devices) before any content runs, and `TransferError.stopped` when a signal ends it.
    @discardableResult
    public static func run(_ options: TransferOptions, contents: [String], skipExisting: Bool = false, stop: StopRequest? = nil,
                           report: (String, any Error) -> Void, makeDevices: () throws -> [any Device]) throws -> BatchSummary {
        guard let first = contents.first else { throw TransferError.invalid(.content, "names no content image") }
        let count = contents.count
        try BatchPaths.check(options.outputPath, .output, count: count)
        try BatchPaths.check(options.lossLogPath, .lossLog, count: count)
        try BatchPaths.check(options.plotPath, .plot, count: count)
        if count > 1 {
            var seen: [String: String] = [:]
            for content in contents {
                let name = BatchPaths.name(of: content)
                if let other = seen[name] {
                    throw TransferError.file(.content, path: content, problem: "has the name '\(name)' of '\(other)' too; their outputs would collide")
                }
                seen[name] = content
            }
        }
        if count == 1 {
            var summary = BatchSummary()
            let single = BatchPaths.item(options, content: first)
            if skipExisting, FileManager.default.fileExists(atPath: single.outputPath) {
                // Said even when quiet: the command wrote nothing.
                Console.error("nst: skipped \(first): '\(single.outputPath)' exists\n")
                summary.skipped = 1
                return summary
            }
            try TransferRunner.run(single, stop: stop, makeDevices: makeDevices)
            summary.written = 1
            return summary
        }
        // What all items share, made once from the first item's options (names aside, the
        // items' options are the same).
        let firstOptions = BatchPaths.item(options, content: first)
        let plan = try TransferPlan(firstOptions)
        let weights = try plan.loadWeights()
        let styles = try options.stylePaths.map { try Image.load(path: $0, role: TransferOption.style.rawValue) }
        let masks = try RunControls.loadMasks(options.controls)
        let devices = try makeDevices()
        let cache = EngineCache(sharesStyleTargets: !options.controls.colorMatch)
        var summary = BatchSummary()
        for (index, content) in contents.enumerated() {
            // A stop request between contents ends the batch: the next content is not begun.
            if index > 0, let signal = stop?.signal {
                throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)) before \(content); \(summary) so far")
            }
            let item = BatchPaths.item(options, content: content)
            if skipExisting, FileManager.default.fileExists(atPath: item.outputPath) {
                summary.skipped += 1
                if !options.quiet { Console.error("nst: skipped \(content): '\(item.outputPath)' exists\n") }
                continue
            }
            do {
                try TransferPaths.check(item)
                let itemPlan = plan.with(item)
                var inputs = try RunInputs(plan: itemPlan, content: Image.load(path: content, role: TransferOption.content.rawValue),
                                           styles: styles, masks: masks)
                let sizes = try StageSizes.all(itemPlan, inputs)
                try inputs.loadInitial(itemPlan)
                let pipeline = try TransferPipeline(plan: itemPlan, weights: weights, inputs: inputs, sizes: sizes, devices: devices,
                                                    sink: FileSink(plan: itemPlan), cache: cache)
                _ = try pipeline.run(stop: stop)
                summary.written += 1
                if !options.quiet { Console.error("nst: wrote \(item.outputPath)\n") }
            } catch let error as TransferError {
                if case .stopped = error { throw error }
                summary.failed += 1
                summary.failures.append(content)
                report(content, error)
            } catch {
                summary.failed += 1
                summary.failures.append(content)
                report(content, error)
            }
        }
        return summary
    }
}
