// OutputNames: checks on the names of a run's outputs that would otherwise fail only after all the work.
import Foundation
import NSTCore
import NSTImages

/// Output names checked before any work: an empty name, a name too long for the atomic
/// write's temporary file (or for the intermediate images' numbered names), and a loss log
/// that an intermediate image would overwrite.
enum OutputNames {
    /// - Throws: `TransferError.file` naming the option of the first bad name.
    static func check(_ options: TransferOptions, outputs: [(String, String)]) throws {
        for (option, path) in outputs {
            guard !path.isEmpty else { throw TransferError.option(option, "needs a file name, got an empty one") }
            try checkLength(path, option: option)
        }
        guard options.saveEvery > 0 else { return }
        // The longest intermediate name is that of the first snapshot (all numbers have the same width).
        try checkLength(TransferPaths.intermediate(options, iteration: options.saveEvery), option: TransferOption.saveEvery.rawValue,
                        shown: options.outputPath)
        if let log = options.lossLogPath, let k = TransferPaths.intermediateIteration(of: log, options),
           k > 0, k < options.iterations, k % options.saveEvery == 0 {
            throw TransferError.file(.lossLog, path: log,
                                     problem: "is also the name of the intermediate image of iteration \(k) (\(TransferOption.saveEvery) \(options.saveEvery))")
        }
    }

    /// Throws when the last component of `path` is longer than the atomic write allows.
    private static func checkLength(_ path: String, option: String, shown: String? = nil) throws {
        let name = (path as NSString).lastPathComponent
        let limit = AtomicWrite.maxNameLength
        guard name.utf8.count > limit else { return }
        let what = shown == nil ? "the file name" : "the intermediate image name '\(name)'"
        throw TransferError.file(role: option, path: shown ?? path,
                                 problem: "\(what) has \(name.utf8.count) bytes; at most \(limit) are possible (the file system allows 255, and the temporary file adds 12)")
    }
}
