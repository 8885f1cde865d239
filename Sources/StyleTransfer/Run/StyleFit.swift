// StyleFit: names the style file, not TransferOption.styleScale, when a style image is too thin for the network at any sensible scale.
import Foundation
import NSTCore
import NSTImages

/// A style image that is too small for the pooling layers is usually a thin file (a
/// banner, a strip), not a bad `TransferOption.styleScale`: the error names the file when the scale is
/// the default or larger, and the option otherwise.
enum StyleFit {
    /// Runs `check` (the network's size check, which names `TransferOption.styleScale`); when it throws
    /// for an image whose scaled long side is at least `TransferOption.size`, the error names the file.
    static func check(path: String, file: Image, size: (width: Int, height: Int), options: TransferOptions,
                      _ check: () throws -> Void) throws {
        do { try check() } catch let error as TransferError {
            guard case let .option(_, problem) = error, max(size.width, size.height) >= options.size else { throw error }
            throw TransferError.file(.style, path: path,
                                     problem: "is \(file.width)x\(file.height) pixels, too thin: at \(TransferOption.styleScale) \(options.styleScale) it \(problem)")
        }
    }
}
