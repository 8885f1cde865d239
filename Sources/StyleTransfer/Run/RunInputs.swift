// RunInputs: a run's images decoded once (content, styles, masks, the start image), with the colour hook that acts before the optimisation.
import NSTCore
import NSTImages
import NSTMethod

/// The decoded inputs of a run at their files' sizes; each stage resizes them. A test (or
/// a later front end: video frames, batches) can make one from images in memory.
struct RunInputs {
    /// The content image.
    var content: Image
    /// The style images, colour-matched to the content when the plan says so.
    var styles: [Image]
    /// The style and content masks, if any.
    var masks = MaskFiles()
    /// The start image of `TransferOption.initial` when it names a file (or a video frame's warped start).
    var initial: Image?
    /// A video frame's earlier results warped into it, at the content's size: the targets of
    /// the temporal term (none for a still image).
    var temporal: [TemporalTarget] = []

    /// Inputs given in memory; the colour hook (`ColorHooks.before`) is applied to `styles`.
    init(plan: TransferPlan, content: Image, styles: [Image], masks: MaskFiles = MaskFiles(), initial: Image? = nil) throws {
        self.content = content
        self.styles = try ColorHooks.before(plan, styles: styles, content: content)
        self.masks = masks
        self.initial = initial
    }

    /// Decodes the files `plan` names; errors name the option and file.
    static func load(_ plan: TransferPlan) throws -> RunInputs {
        let options = plan.options
        let content = try Image.load(path: options.contentPath, role: TransferOption.content.rawValue)
        let styles = try options.stylePaths.map { try Image.load(path: $0, role: TransferOption.style.rawValue) }
        let masks = try RunControls.loadMasks(options.controls)
        if !options.quiet { RunControls.noteStretchedMasks(options.controls, masks, content: content) }
        return try RunInputs(plan: plan, content: content, styles: styles, masks: masks)
    }

    /// Decodes the start image of `TransferOption.initial` when it names a file.
    mutating func loadInitial(_ plan: TransferPlan) throws {
        if case let .file(path) = plan.options.initMode {
            initial = try Image.load(path: path, role: TransferOption.initial.rawValue)
        }
    }
}

/// The colour controls as hooks around the optimisation: colour matching changes the style
/// images before it, original colours the result after it.
enum ColorHooks {
    /// The style images as the run uses them (`TransferOption.colorMatch`: the content's colours).
    static func before(_ plan: TransferPlan, styles: [Image], content: Image) throws -> [Image] {
        plan.options.controls.colorMatch ? try styles.map { try ColorMatch.match($0, to: content) } : styles
    }

    /// A result as it is written (`TransferOption.originalColors`: the content's colours with
    /// the result's luminance); `content` is the content image at the result's size.
    static func after(_ plan: TransferPlan, image: Image, content: Image) throws -> Image {
        plan.options.controls.originalColors ? try OriginalColors.apply(result: image, content: content) : image
    }
}
