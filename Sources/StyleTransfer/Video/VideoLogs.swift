// VideoLogs: a clip's loss log (a frame column before each row) and consistency log (one row per frame), rewritten atomically after each finished frame, keeping an earlier run's rows on --resume.
import Foundation
import NSTCore
import NSTMethod

/// One CSV file that grows by whole frames: `rows` of earlier frames (kept from the file
/// when resuming) and this run's, written atomically after each frame so a stop keeps
/// exactly the finished frames' rows.
struct FrameCSV {
    let path: String
    let header: String
    let role: TransferOption
    private var lines: [String] = []

    /// A log at `path`; with `keepBefore`, the rows of an existing file whose frame
    /// (first field) is below it are kept (a resumed run's earlier frames).
    init(path: String, header: String, role: TransferOption, keepBefore: Int?) {
        self.path = path
        self.header = header
        self.role = role
        guard let keepBefore, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let rows = text.split(separator: "\n").dropFirst()
        lines = rows.filter { row in Int(row.prefix { $0 != "," }).map { $0 < keepBefore } ?? false }.map(String.init)
    }

    /// Adds rows and rewrites the file.
    mutating func append(_ rows: [String]) throws {
        lines += rows
        try AtomicFile.write(Data(([header] + lines).map { $0 + "\n" }.joined().utf8), to: path, role: role.rawValue)
    }
}

extension LossLog {
    /// The header of a clip's loss log: `frame` before the still image's columns, `temporal` (J_temporal) after `tv`.
    static let videoHeader = "frame,iteration,total,content,style,tv,temporal,seconds,scale"

    /// `videoHeader`, ending in `,average` when the run averages its images (`TransferOption.average`).
    static func videoHeader(averageColumn: Bool) -> String { videoHeader + (averageColumn ? ",average" : "") }

    /// The rows of frame `frame` in `videoHeader(averageColumn:)`'s columns.
    func videoRows(frame: Int) -> [String] {
        rows.map { row in
            let l = row.losses
            return "\(frame),\(row.iteration)," + [l.total, l.content, l.style, l.tv, l.temporal, row.seconds].map(Self.format).joined(separator: ",")
                + ",\(row.scale)" + (averageColumn ? "," + (row.average.map(Self.format) ?? "") : "")
        }
    }
}

/// The columns of `--consistency-log`.
enum ConsistencyLog {
    static let header = "frame,warping_error,reliable,seconds,flow_seconds"

    /// One frame's row: the mean squared difference to the previous result warped into it
    /// over reliable pixels ([0,1] scale; empty for the first frame), the reliable fraction,
    /// the frame's seconds and those spent on optical flow.
    static func row(frame: Int, error: Double?, reliable: Double?, seconds: Double, flowSeconds: Double) -> String {
        "\(frame),\(error.map(LossLog.format) ?? ""),\(reliable.map(LossLog.format) ?? ""),\(LossLog.format(seconds)),\(LossLog.format(flowSeconds))"
    }
}
