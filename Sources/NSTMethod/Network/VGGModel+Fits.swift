// VGGModel+Fits: whether an image is large enough for the pooling layers a run uses.
import NSTCore

extension VGGModel {
    /// Throws when an image of `width x height` is too small for the pooling layers of the
    /// first `depth` layers; the message names `option`, the caller's name for the size.
    /// - Throws: `TransferError.option(option, ...)`.
    public func checkFits(width: Int, height: Int, depth: Int, option: String) throws {
        if let layer = shapes(height: height, width: width, depth: depth).tooSmallAt {
            throw TransferError.option(option, "gives a \(width)x\(height) image, too small for \(layer) (each side needs \(1 << (layer.last.flatMap { Int(String($0)) } ?? 1)) pixels or more); use a larger size or shallower layers")
        }
    }
}
