// LossLog: the per-iteration loss rows and their CSV form (README.md "`nst transfer` options").
import Foundation
import NSTCore

/// The loss of each iteration, kept in memory during the run and written once at the end
/// (so the optimisation loop never waits on the disk).
public struct LossLog: Sendable {
    /// One row: the losses of the image after `iteration` updates.
    public struct Row: Equatable, Sendable {
        /// Updates made before these losses (0: the initial image).
        public let iteration: Int
        /// J and its parts.
        public let losses: LossValues
        /// Wall time since the stage's optimisation began when the row's loss was known.
        public let seconds: Double
        /// The long side of the stage's image (the run's size without coarse-to-fine).
        public let scale: Int
    }

    /// The CSV header line (without its newline).
    public static let header = "iteration,total,content,style,tv,seconds,scale"
    /// The rows so far, in iteration order.
    public private(set) var rows: [Row] = []

    /// An empty log.
    public init() {}

    /// Adds the row of `iteration` of the stage whose long side is `scale`.
    public mutating func append(iteration: Int, losses: LossValues, seconds: Double, scale: Int) {
        rows.append(Row(iteration: iteration, losses: losses, seconds: seconds, scale: scale))
    }

    /// Numbers with 12 significant digits, as README.md's loss-log paragraph states.
    public static func format(_ value: Double) -> String { String(format: "%.12g", value) }

    /// The CSV text: the header and one line per row, each ending in a newline.
    public var csv: String {
        var text = Self.header + "\n"
        for row in rows {
            let l = row.losses
            text += "\(row.iteration),\([l.total, l.content, l.style, l.tv, row.seconds].map(Self.format).joined(separator: ",")),\(row.scale)\n"
        }
        return text
    }
}
