// FramePattern: a printf frame pattern (`frames/in-%04d.png`): one integer conversion, its paths by frame number.
import Foundation

/// A path with one `%d`, `%Nd` or `%0Nd` conversion for the frame number (`%%` is a
/// literal percent sign), as FFmpeg's image sequences are named.
public struct FramePattern: Equatable, Sendable {
    /// The text before and after the conversion (with `%%` already turned into `%`).
    public let prefix: String, suffix: String
    /// The conversion's width (0: none), and whether it pads with zeros.
    public let width: Int, zeroPadded: Bool

    /// The pattern in `text`, or nil when it has no integer conversion.
    /// - Throws: `TransferError.option` naming `option` for a pattern with several
    ///   conversions or another kind (`%s`), which could name no frame reliably.
    public init?(_ text: String, option: TransferOption) throws {
        var prefix = "", suffix = "", found: (width: Int, zero: Bool)?
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            guard c == "%" else {
                if found == nil { prefix.append(c) } else { suffix.append(c) }
                continue
            }
            if chars.first == "%" {
                chars.removeFirst()
                if found == nil { prefix.append("%") } else { suffix.append("%") }
                continue
            }
            var digits = ""
            while let d = chars.first, d.isASCII, d.isNumber { digits.append(d); chars.removeFirst() }
            guard chars.popFirst() == "d", found == nil, digits.count <= 2 else {
                throw TransferError.file(option, path: text, problem: "is a frame pattern with a conversion other than one %d, %0Nd or %Nd (write %% for a percent sign)")
            }
            found = (Int(digits) ?? 0, digits.hasPrefix("0"))
        }
        guard let found else { return nil }
        self.prefix = prefix
        self.suffix = suffix
        width = found.width
        zeroPadded = found.zero
    }

    /// The path of frame `number`.
    public func path(_ number: Int) -> String {
        var digits = String(number)
        if digits.count < width { digits = String(repeating: zeroPadded ? "0" : " ", count: width - digits.count) + digits }
        return prefix + digits + suffix
    }

    /// The paths of the frames that exist from `first` on (0 or 1, whichever exists), up to
    /// the first missing number.
    public func existingFrames() -> [String] {
        let fm = FileManager.default
        let start = fm.fileExists(atPath: path(0)) ? 0 : 1
        var paths: [String] = []
        var k = start
        while fm.fileExists(atPath: path(k)) {
            paths.append(path(k))
            k += 1
        }
        return paths
    }
}
