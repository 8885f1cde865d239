// RunControls: the runner's side of the controls: loading the mask files, sizing them per stage, the early-stop note.
import NSTCore
import NSTImages
import NSTMethod

/// The mask files of a run, as decoded (any size).
struct MaskFiles {
    var style: [Image] = []
    var content: Image?

    /// The masks at a stage's image size (resized with the project's resampler, then each
    /// pixel the mean of its channels), or nil when the run has none.
    func resized(width: Int, height: Int) throws -> TransferMasks? {
        guard !style.isEmpty || content != nil else { return nil }
        func mask(_ image: Image) throws -> SpatialMask {
            SpatialMask(image: image.width == width && image.height == height ? image : try image.resized(width: width, height: height))
        }
        return TransferMasks(style: try style.map(mask), content: try content.map(mask))
    }
}

enum RunControls {
    /// Decodes `TransferOption.styleMask` and `TransferOption.contentMask`; errors name the option and file.
    static func loadMasks(_ controls: ControlOptions) throws -> MaskFiles {
        MaskFiles(style: try controls.styleMaskPaths.map { try Image.load(path: $0, role: TransferOption.styleMask.rawValue) },
                  content: try controls.contentMaskPath.map { try Image.load(path: $0, role: TransferOption.contentMask.rawValue) })
    }

    /// Says once, for each mask whose aspect differs from the content's by more than 1%, that
    /// it is stretched to the output (it is resized to the output's width and height).
    static func noteStretchedMasks(_ controls: ControlOptions, _ masks: MaskFiles, content: Image) {
        let aspect = Double(content.width) / Double(content.height)
        let named = zip(controls.styleMaskPaths, masks.style).map { (TransferOption.styleMask, $0, $1) }
            + zip([controls.contentMaskPath].compactMap { $0 }, [masks.content].compactMap { $0 }).map { (TransferOption.contentMask, $0, $1) }
        for (option, path, mask) in named where abs(Double(mask.width) / Double(mask.height) / aspect - 1) > 0.01 {
            Console.error("nst: note: \(option) '\(path)' (\(mask.width)x\(mask.height)) is stretched to the content's shape (\(content.width)x\(content.height))\n")
        }
    }

    /// The progress line of a stage `TransferOption.tolerance` ended after iteration `k`.
    static func stopNote(_ controls: ControlOptions, iteration k: Int) -> String {
        EarlyStop(tolerance: controls.tolerance ?? 0, window: controls.toleranceWindow).note(iteration: k) + " (\(TransferOption.tolerance))"
    }
}
