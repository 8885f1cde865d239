// LargeImageOptions: the settings of large runs: tile side, memory budget and coarse-to-fine stages.
import Foundation
import NSTCore

/// How a run handles images too large for one evaluation, and coarse-to-fine stages
/// (README "Large images").
public struct LargeImageOptions: Equatable, Sendable {
    /// `TransferOption.tile`: the tiles' side in pixels (rounded up to the pooling grid); nil: tiles only
    /// when the whole image does not fit the memory budget, then the largest that fits.
    public var tile: Int?
    /// `TransferOption.maxMemory`: bytes each device may use; nil: what it reports, less a tenth.
    public var maxMemory: Int?
    /// `TransferOption.startSize`: the long side of the first stage; nil: one stage at `TransferOption.size`.
    public var startSize: Int?
    /// `TransferOption.scaleFactor`: each stage's long side over the last one's.
    public var scaleFactor = 2.0
    /// `TransferOption.stageIterations`: iterations per stage; nil: `TransferOption.iterations` each.
    public var stageIterations: [Int]?

    public init() {}

    /// Parses a memory size: a number of bytes with an optional unit (`1GiB`, `800MiB`,
    /// `512MB`, `2G`, `1.5GiB`); binary and decimal units, case-insensitive.
    public static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("tib", 1_099_511_627_776),
                                         ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
                                         ("k", 1024), ("m", 1_048_576), ("g", 1_073_741_824), ("t", 1_099_511_627_776), ("b", 1)]
        var number = Substring(trimmed), factor = 1.0
        for (suffix, value) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            factor = value
            break
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0,
              value * factor < 9e18 else { return nil }
        return Int(value * factor)
    }
}
