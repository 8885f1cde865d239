// ControlOptions: the settings of `nst transfer`'s "Controls" group: colours, gradients, masks, early stop, output format.
import NSTCore
import NSTImages

/// Control over the result (README "Controlling the result"). Every control is off by
/// default, and with all of them off a run is exactly what it was without them.
public struct ControlOptions: Equatable, Sendable {
    /// Keep the content image's colours: the written image takes only its luminance from
    /// the result (`TransferOption.originalColors`; `OriginalColors`).
    public var originalColors = false
    /// Give each style image the content image's colour mean and covariance before
    /// optimising (`TransferOption.colorMatch`; `ColorMatch`).
    public var colorMatch = false
    /// Scale each content and style term's gradient to unit L2 norm before weighting it
    /// (`TransferOption.normalizeGradients`).
    public var normalizeGradients = false
    /// One greyscale mask per style image saying where that style applies (`TransferOption.styleMask`);
    /// empty: no masks.
    public var styleMaskPaths: [String] = []
    /// A greyscale mask weighting where the content is kept (`TransferOption.contentMask`), or nil.
    public var contentMaskPath: String?
    /// Stop a stage when J improved by less than this fraction over the last
    /// `toleranceWindow` iterations (`TransferOption.tolerance`); nil: never.
    public var tolerance: Double?
    /// The iterations `tolerance` looks back over (`TransferOption.toleranceWindow`).
    public var toleranceWindow = 10
    /// Bits per channel of the output and snapshots (`TransferOption.bitDepth`): 8, or 16 for PNG and TIFF.
    public var bitDepth = 8
    /// JPEG quality of a `.jpg` output (`TransferOption.jpegQuality`), 1 to 100.
    public var jpegQuality = ImageEncoding.defaultJPEGQuality

    /// All controls off.
    public init() {}

    /// The first option set that needs the whole-image evaluator (masks and normalised
    /// gradients; tiled evaluation refuses them), or nil.
    public var untiledOption: String? {
        if !styleMaskPaths.isEmpty { return TransferOption.styleMask.rawValue }
        if contentMaskPath != nil { return TransferOption.contentMask.rawValue }
        if normalizeGradients { return TransferOption.normalizeGradients.rawValue }
        return nil
    }
}
