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

    /// `run(_:makeDevice:)` with tiles spread over several devices (a device list); the first
    /// holds the image and the optimiser's state. A first `stop` request ends the run after
    /// the iteration in progress, with the image and loss log so far written (`RunEnd.report`
    /// then throws `TransferError.stopped`).
    ///
    /// The steps: the paths are checked, the plan resolves the options (and opens the weights
    /// file once), the images are decoded and every stage's sizes checked, then the
    /// `TransferPipeline` runs the stages on the devices and a `FileSink` writes the results.
    @discardableResult
    public static func run(_ options: TransferOptions, stop: StopRequest? = nil,
                           makeDevices: () throws -> [any Device]) throws -> LossLog {
        try run(options, stop: stop, remote: nil, makeDevices: makeDevices)
    }

    /// `run(_:stop:makeDevices:)` with `observer` told of every iteration and, now and then,
    /// of the image so far (a web page watching the run).
    @discardableResult
    public static func run(_ options: TransferOptions, stop: StopRequest?, observer: any TransferObserver,
                           makeDevices: () throws -> [any Device]) throws -> LossLog {
        try run(options, stop: stop, remote: nil, observer: observer, makeDevices: makeDevices)
    }

    /// `run(_:stop:makeDevices:)` with the tiles of tiled stages shared with `remote`
    /// (the other ranks of an MPI job).
    @discardableResult
    package static func run(_ options: TransferOptions, stop: StopRequest?, remote: (any RemoteTiles)?,
                            observer: (any TransferObserver)? = nil, makeDevices: () throws -> [any Device]) throws -> LossLog {
        // The files first: the plan opens the weights file (once), which must exist.
        try TransferPaths.check(options)
        let plan = try TransferPlan(options)
        let weights = try plan.loadWeights()
        // Sizes come from the decoded files; resizing waits until the memory check passed.
        var inputs = try RunInputs.load(plan)
        let sizes = try StageSizes.all(plan, inputs)
        try inputs.loadInitial(plan)
        var pipeline = try TransferPipeline(plan: plan, weights: weights, inputs: inputs, sizes: sizes,
                                            devices: try makeDevices(), sink: FileSink(plan: plan), remote: remote)
        pipeline.observer = observer
        let log = try pipeline.run(stop: stop)
        if !options.quiet {
            Console.error("nst: wrote \(options.outputPath)" + (options.lossLogPath.map { " and \($0)" } ?? "")
                          + (options.plotPath.map { " and \($0)" } ?? "") + "\n")
        }
        return log
    }
}
