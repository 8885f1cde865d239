// ControlArguments: the `nst transfer` options of control over the result: colours, gradients, masks, early stop, output format.
import ArgumentParser
import StyleTransfer

public struct ControlArguments: ParsableArguments {
    public init() {}

    @Flag(name: .customLong("original-colors"), help: "Keep the content image's colours: the output takes only its luminance (Y of YCbCr) from the result.")
    var originalColors = false

    @Flag(name: .customLong("color-match"), help: "Before optimising, give each style image the content image's colour mean and covariance (linear matching, Cholesky form).")
    var colorMatch = false

    @Flag(name: .customLong("normalize-gradients"), help: "Scale each content and style term's gradient to unit L2 norm before its weight (not with tiles).")
    var normalizeGradients = false

    @Option(name: .customLong("style-mask"), help: ArgumentHelp("Greyscale image saying where the matching --style applies (white: fully; resized to the output); once per --style, in order (not with tiles).", valueName: "file"))
    var styleMask: [String] = []

    @Option(name: .customLong("content-mask"), help: ArgumentHelp("Greyscale image weighting where the content is kept (white: fully; not with tiles).", valueName: "file"))
    var contentMask: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop a stage when J improved by less than this fraction of itself over the last --tolerance-window iterations (default: never).", valueName: "fraction"))
    var tolerance: Double?

    @Option(name: .customLong("tolerance-window"), parsing: .unconditional, help: ArgumentHelp("The iterations --tolerance looks back over.", valueName: "n"))
    var toleranceWindow: Int = ControlOptions().toleranceWindow

    @Option(name: .customLong("bit-depth"), parsing: .unconditional, help: ArgumentHelp("Bits per channel of the output and snapshots: 8, or 16 for .png and .tif.", valueName: "8|16"))
    var bitDepth: Int = ControlOptions().bitDepth

    @Option(name: .customLong("jpeg-quality"), parsing: .unconditional, help: ArgumentHelp("Quality of a .jpg output, 1 to 100.", valueName: "n"))
    var jpegQuality: Int = ControlOptions().jpegQuality

    /// The options as the library takes them.
    /// The control options as parsed.
    public func options() -> ControlOptions {
        var controls = ControlOptions()
        controls.originalColors = originalColors
        controls.colorMatch = colorMatch
        controls.normalizeGradients = normalizeGradients
        controls.styleMaskPaths = styleMask
        controls.contentMaskPath = contentMask
        controls.tolerance = tolerance
        controls.toleranceWindow = toleranceWindow
        controls.bitDepth = bitDepth
        controls.jpegQuality = jpegQuality
        return controls
    }
}
