// StageSizes: the sizes of every stage's images, worked out once from the decoded files and checked against the network's pooling.
import NSTCore
import NSTImages
import NSTMethod

/// One stage's image sizes: the generated (content) image's and each style image's.
struct StageSizes {
    /// The stage (its long side and iterations).
    let stage: TransferStage
    /// The generated image's size.
    let content: ImageSize
    /// The style images' long side, and each one's size.
    let styleSide: Int, styles: [ImageSize]

    /// The sizes of every stage of `plan` for `inputs`, each checked to be large enough for
    /// the layers in use (errors name the size option, or the style option or file).
    static func all(_ plan: TransferPlan, _ inputs: RunInputs) throws -> [StageSizes] {
        let options = plan.options
        return try plan.stages.map { stage in
            let side = styleSide(options, stage)
            let contentSize = Image.size(width: inputs.content.width, height: inputs.content.height, longSide: stage.size)
            try plan.model.checkFits(width: contentSize.width, height: contentSize.height, depth: plan.depth,
                                     option: (plan.stages.count > 1 ? TransferOption.startSize : TransferOption.size).rawValue)
            let styles = try zip(options.stylePaths.isEmpty ? inputs.styles.map { _ in "" } : options.stylePaths, inputs.styles).map { path, file in
                let size = Image.size(width: file.width, height: file.height, longSide: side)
                try StyleFit.check(path: path, file: file, size: size, options: options) {
                    try plan.model.checkFits(width: size.width, height: size.height, depth: plan.depth,
                                             option: TransferOption.styleScale.rawValue)
                }
                return ImageSize(height: size.height, width: size.width)
            }
            return StageSizes(stage: stage, content: ImageSize(height: contentSize.height, width: contentSize.width),
                              styleSide: side, styles: styles)
        }
    }

    /// The style images' long side at `stage`: `TransferOption.styleScale` times the stage's
    /// size, at least one pixel (the plan checked the last stage's; an earlier, smaller
    /// stage's may round to 0).
    static func styleSide(_ options: TransferOptions, _ stage: TransferStage) -> Int {
        min(max(options.styleSize(for: stage.size), 1), Image.maxSide)
    }
}
