// TransferPaths: checks on the run's input and output paths, and the names of intermediate images.
import Foundation
import NSTCore
import NSTImages
import NSTInspect

/// Path checks done before any work: inputs exist and are readable files; outputs go to an
/// existing, writable folder, have an image extension (`OutputFormat`), and never name an input.
public enum TransferPaths {
    /// The inputs of a run as (option, path).
    static func inputs(_ options: TransferOptions) -> [(String, String)] {
        var list = [(TransferOption.content.rawValue, options.contentPath)] + options.stylePaths.map { (TransferOption.style.rawValue, $0) }
        if case let .file(path) = options.initMode { list.append((TransferOption.initial.rawValue, path)) }
        if let weights = options.weightsPath { list.append((TransferOption.weights.rawValue, weights)) }
        list += options.controls.styleMaskPaths.map { (TransferOption.styleMask.rawValue, $0) }
        if let mask = options.controls.contentMaskPath { list.append((TransferOption.contentMask.rawValue, mask)) }
        return list
    }

    /// The outputs of a run as (option, path); intermediates are checked by name pattern.
    static func outputs(_ options: TransferOptions) -> [(String, String)] {
        [(TransferOption.output.rawValue, options.outputPath)] + (options.lossLogPath.map { [(TransferOption.lossLog.rawValue, $0)] } ?? [])
            + (options.plotPath.map { [(TransferOption.plot.rawValue, $0)] } ?? [])
    }

    /// `out.png` -> `out-0050.png` for iteration 50 of a run of up to 9999 iterations
    /// (the number is zero-padded to the width of `TransferOption.iterations`).
    /// In a coarse-to-fine run the stage's long side comes first: `out-s512-050.png`.
    public static func intermediate(_ options: TransferOptions, iteration: Int, stage: TransferStage? = nil) -> String {
        let url = URL(fileURLWithPath: options.outputPath)
        // One width for every stage (the longest stage's), so the names sort in order.
        let digits = String(stage == nil ? options.iterations : (options.large.stageIterations?.max() ?? options.iterations)).count
        let number = String(repeating: "0", count: max(0, digits - String(iteration).count)) + String(iteration)
        let prefix = stage.map { "s\($0.size)-" } ?? ""
        let name = url.deletingPathExtension().lastPathComponent + "-" + prefix + number + "." + url.pathExtension
        return (options.outputPath as NSString).deletingLastPathComponent.isEmpty
            ? name : ((options.outputPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    /// Runs every check.
    /// - Throws: `TransferError` naming the option and path of the first problem.
    public static func check(_ options: TransferOptions) throws {
        let fm = FileManager.default
        for (option, path) in inputs(options) {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else {
                // A known name not fetched yet is the usual case: say how to get it.
                if option == TransferOption.weights.rawValue, let known = WeightsCache.knownFile(path) {
                    throw TransferError.file(role: option, path: path, problem: "is not in the weights cache yet; fetch it with `nst weights fetch \(known.name)`")
                }
                throw TransferError.file(role: option, path: path, problem: "no such file")
            }
            guard !isFolder.boolValue else { throw TransferError.file(role: option, path: path, problem: "is a folder, not a file") }
            guard fm.isReadableFile(atPath: path) else { throw TransferError.file(role: option, path: path, problem: "cannot be read (permission denied)") }
            if option == TransferOption.weights.rawValue, let problem = AtomicWrite.replacementProblem(path) {
                // A weights file is read by seeking; a pipe or device would block or never end.
                throw TransferError.file(role: option, path: path, problem: problem.replacingOccurrences(of: "it is", with: "is"))
            }
        }
        let outputName = (options.outputPath as NSString).lastPathComponent
        if outputName.hasPrefix("."), !outputName.dropFirst().contains("."), OutputFormat(path: "x" + outputName) != nil {
            throw TransferError.file(.output, path: options.outputPath, problem: "is an extension without a name; give a file name such as out\(outputName)")
        }
        guard OutputFormat(path: options.outputPath) != nil else {
            throw TransferError.file(.output, path: options.outputPath, problem: "must end in \(OutputFormat.extensionList) (the format follows the extension)")
        }
        if let plot = options.plotPath { try LossPlot.checkExtension(plot, role: TransferOption.plot.rawValue) }
        let outputs = outputs(options)
        try OutputNames.check(options, outputs: outputs)
        for (option, given) in outputs {
            // A symbolic link is written through (`AtomicWrite`): its target's folder is the one that must take the file.
            let path: String
            do { path = try AtomicWrite.resolvedTarget(given) } catch let error as FileWriteError {
                throw TransferError.file(role: option, path: given, problem: error.reason)
            }
            let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isFolder) else {
                throw TransferError.file(role: option, path: given, problem: "folder '\(folder)' does not exist")
            }
            guard isFolder.boolValue else {
                throw TransferError.file(role: option, path: given, problem: "'\(folder)' is a file, not a folder")
            }
            guard AtomicWrite.canCreateFile(in: folder) else {
                throw TransferError.file(role: option, path: given, problem: "folder '\(folder)' is not writable")
            }
            if let problem = AtomicWrite.replacementProblem(path) {
                throw TransferError.file(role: option, path: given, problem: problem)
            }
            for (inputOption, input) in inputs(options) where AtomicWrite.sameFile(path, input) {
                throw TransferError.file(role: option, path: given, problem: "is also the \(inputOption) input; inputs are never overwritten")
            }
        }
        for (i, later) in outputs.enumerated() {
            for earlier in outputs[..<i] where AtomicWrite.sameFile(earlier.1, later.1) {
                throw TransferError.file(role: later.0, path: later.1, problem: "is also the \(earlier.0) \(earlier.0 == TransferOption.output.rawValue ? "image" : "file")")
            }
        }
        if options.saveEvery > 0 {
            // An intermediate `out-NNNN.png` must not replace an input of that name.
            for (inputOption, input) in inputs(options) where intermediateIteration(of: input, options) != nil {
                throw TransferError.file(role: inputOption, path: input,
                                         problem: "would be overwritten by an intermediate image of \(TransferOption.saveEvery); rename it or choose another \(TransferOption.output)")
            }
            // Nor can it replace a folder or special file: found now, not after the run's first images.
            let folder = (options.outputPath as NSString).deletingLastPathComponent
            let listing = (try? fm.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
            for name in listing {
                let path = folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
                guard intermediateIteration(of: path, options) != nil, let problem = AtomicWrite.replacementProblem(path) else { continue }
                throw TransferError.file(.saveEvery, path: path, problem: "names an intermediate image, but \(problem)")
            }
        }
    }

    /// The iteration `k` (0 to `TransferOption.iterations`) whose intermediate image `path` names, or nil.
    static func intermediateIteration(of path: String, _ options: TransferOptions) -> Int? {
        let stem = URL(fileURLWithPath: options.outputPath).deletingPathExtension().lastPathComponent + "-"
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard name.hasPrefix(stem), let k = Int(name.dropFirst(stem.count)), k >= 0, k <= options.iterations,
              AtomicWrite.sameFile(path, intermediate(options, iteration: k)) else { return nil }
        return k
    }
}
