// TransferPlan+Controls: validation of the "Controls" options, and the output encoding they resolve to.
import NSTCore
import NSTImages

extension TransferPlan {
    /// Checks the control options against each other and the run.
    /// - Throws: `TransferError.option` naming the first bad option.
    static func checkControls(_ o: TransferOptions, styleCount: Int) throws {
        let c = o.controls
        if !c.styleMaskPaths.isEmpty, c.styleMaskPaths.count != styleCount {
            throw TransferError.option("--style-mask", "is given \(c.styleMaskPaths.count) times for \(styleCount) --style images; give one mask per style image, in the same order")
        }
        if let tolerance = c.tolerance, !(tolerance >= 0 && tolerance.isFinite) {
            throw TransferError.option("--tolerance", "must be a finite number >= 0, got \(tolerance)")
        }
        guard (1...1_000_000).contains(c.toleranceWindow) else {
            throw TransferError.option("--tolerance-window", "must be 1 to 1000000 iterations, got \(c.toleranceWindow)")
        }
        guard (1...100).contains(c.jpegQuality) else {
            throw TransferError.option("--jpeg-quality", "must be 1 to 100, got \(c.jpegQuality)")
        }
        guard c.bitDepth == 8 || c.bitDepth == 16 else {
            throw TransferError.option("--bit-depth", "must be 8 or 16, got \(c.bitDepth)")
        }
        if !o.outputPath.isEmpty, let format = OutputFormat(path: o.outputPath), !format.bitDepths.contains(c.bitDepth) {
            throw TransferError.option("--bit-depth", "\(c.bitDepth) is not possible for a \(format.rawValue) output ('\(o.outputPath)'); use .png or .tif")
        }
        if let option = c.untiledOption, o.large.tile != nil {
            throw TransferError.option(option, "needs the whole-image evaluation and cannot be used with --tile")
        }
    }

    /// How the output and snapshots are written: the format of `--output`'s extension
    /// (PNG when it has none of ours; `TransferPaths` refuses that before any work).
    public var encoding: ImageEncoding {
        ImageEncoding(format: OutputFormat(path: options.outputPath) ?? .png, bitDepth: options.controls.bitDepth,
                      jpegQuality: options.controls.jpegQuality)
    }
}
