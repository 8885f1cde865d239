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
        /// J at the average of the stage's images (`--average`), on the last row of a stage; nil elsewhere.
        public internal(set) var average: Double? = nil
    }

    /// The CSV header line (without its newline).
    public static let header = "iteration,total,content,style,tv,seconds,scale"
    /// The rows so far, in iteration order.
    public private(set) var rows: [Row] = []
    /// Whether the CSV has the `average` column (a run with `--average`).
    public let averageColumn: Bool

    /// An empty log; with `averageColumn`, its CSV ends each row with the `average` column.
    public init(averageColumn: Bool = false) {
        self.averageColumn = averageColumn
    }

    /// Adds the row of `iteration` of the stage whose long side is `scale`.
    public mutating func append(iteration: Int, losses: LossValues, seconds: Double, scale: Int) {
        rows.append(Row(iteration: iteration, losses: losses, seconds: seconds, scale: scale))
    }

    /// Puts J at the average of the stage's images on the last row (the stage's end).
    public mutating func setAverage(_ total: Double) {
        guard !rows.isEmpty else { return }
        rows[rows.count - 1].average = total
    }

    /// Numbers with 12 significant digits, as README.md's loss-log paragraph states.
    public static func format(_ value: Double) -> String { String(format: "%.12g", value) }

    /// The CSV text: the header and one line per row, each ending in a newline.
    /// With `averageColumn`, the header ends in `,average`, filled on the rows `setAverage`
    /// gave one and empty on the others.
    public var csv: String {
        var text = Self.header + (averageColumn ? ",average" : "") + "\n"
        for row in rows {
            let l = row.losses
            text += "\(row.iteration),\([l.total, l.content, l.style, l.tv, row.seconds].map(Self.format).joined(separator: ",")),\(row.scale)"
            if averageColumn { text += "," + (row.average.map(Self.format) ?? "") }
            text += "\n"
        }
        return text
    }
}
