// LossTable: a loss log read back from its CSV text, its columns found by header name.
import Foundation
import NSTImages
import NSTMethod
import NSTCore

/// The numbers of a loss log (what `nst transfer` writes), by column name.
///
/// Columns are found by their header names, so logs that gain columns (a coarse-to-fine
/// run's `scale`) or reorder them still read; only `iteration` and `total` are required.
public struct LossTable: Sendable {
    /// Where the log came from (a file path), used in legends and errors.
    public let source: String
    /// The header names, in file order.
    public let columns: [String]
    /// One array of numbers per row, in column order.
    public let rows: [[Double]]

    /// Parses CSV text: a header line, then rows of numbers with as many fields.
    /// Blank lines are skipped; `nan` and `inf` are numbers (plots skip them), and an empty
    /// field is a missing value, read as NaN (the `average` column of a run with
    /// `--average` is filled only at the end of each stage). A leading
    /// byte-order mark and CRLF line ends (as spreadsheets write them) are accepted.
    /// - Throws: `TransferError.file` with role `role`, naming `source` and the line, when the
    ///   text is empty, lacks an `iteration` or `total` column, has no rows, or a row has
    ///   the wrong number of fields or a field that is not a number.
    public init(csv text: String, source: String, role: String = "loss log") throws {
        func fail(_ problem: String) -> TransferError { .file(role: role, path: source, problem: problem) }
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, text: $0.element.trimmingCharacters(in: .whitespaces)) }
            .filter { !$0.text.isEmpty }
        guard let header = lines.first else { throw fail("is empty; expected a header line such as '\(LossLog.header)'") }
        let columns = header.text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for required in ["iteration", "total"] where !columns.contains(required) {
            throw fail("line \(header.number): the header has no '\(required)' column (expected a loss log such as '\(LossLog.header)')")
        }
        if let repeated = columns.first(where: { name in columns.filter { $0 == name }.count > 1 }) {
            throw fail("line \(header.number): the header names the column '\(repeated)' twice")
        }
        var rows: [[Double]] = []
        for line in lines.dropFirst() {
            let fields = line.text.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == columns.count else {
                throw fail("line \(line.number): \(fields.count) fields, but the header has \(columns.count)")
            }
            rows.append(try fields.enumerated().map { k, field in
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { return .nan }
                guard let value = Double(trimmed) else {
                    throw fail("line \(line.number): '\(trimmed)' in column '\(columns[k])' is not a number")
                }
                return value
            })
        }
        guard !rows.isEmpty else { throw fail("has a header but no rows") }
        self.source = source
        self.columns = columns
        self.rows = rows
    }

    /// Reads and parses the file at `path`.
    /// - Throws: `TransferError.file` naming `path` when it cannot be read or parsed.
    public init(path: String, role: String = "loss log") throws {
        let bytes: [UInt8]
        // A loss log of a million rows is about 100 MB; what is longer is not one (/dev/zero).
        do { bytes = try ImageFile.contents(of: path, limit: 256 << 20, what: "a loss log") } catch let error as ImageError {
            throw TransferError.file(role: role, path: path, problem: error.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TransferError.file(role: role, path: path, problem: "is not UTF-8 text")
        }
        try self.init(csv: text, source: path, role: role)
    }

    /// The values of the column `name`, or nil when the log has no such column.
    public func column(_ name: String) -> [Double]? {
        guard let k = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0[k] }
    }
}
