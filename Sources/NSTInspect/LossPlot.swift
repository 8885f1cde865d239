// LossPlot: the loss curves of one or more loss logs against iteration on a log scale, as a drawing (SVG or PNG).
import Foundation
import NSTImages
import NSTMethod
import NSTCore

/// A plot of J and its weighted terms (alpha J_content, beta J_style, gamma J_tv) against
/// iteration, y on a log scale, for one or more loss logs overlaid (one dash pattern per
/// log, one colour per term). The stages of a coarse-to-fine run (a `scale` column whose
/// value changes) are marked by vertical lines.
public struct LossPlot: Sendable {
    /// A plotted term: its log column, legend text and colour.
    struct Term {
        let column: String, label: String, color: RGBColor, weight: Double
    }

    public let tables: [LossTable]
    public let weights: LossWeights

    /// Size of the picture and of the plot area inside it, in pixels.
    static let width = 880.0, height = 480.0
    static let left = 80.0, top = 42.0, right = 880.0 - 250.0, bottom = 480.0 - 56.0
    static let dashes: [[Double]] = [[], [7, 4], [2, 3], [10, 3, 2, 3]]

    /// A plot of `tables` (at least one) with the weights of the run(s) that wrote them.
    /// - Throws: `DeviceError.invalidArgument` when `tables` is empty or a weight is negative
    ///   or not finite (the command line checks its options first, naming them).
    public init(tables: [LossTable], weights: LossWeights = .defaults) throws {
        guard !tables.isEmpty, [weights.content, weights.style, weights.tv].allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DeviceError.invalidArgument(op: "LossPlot", detail: "\(tables.count) loss logs, weights \(weights); want one or more, and finite weights of 0 or more")
        }
        self.tables = tables
        self.weights = weights
    }

    var terms: [Term] {
        [Term(column: "total", label: "J (total)", color: RGBColor(hex: 0x1a1a1a), weight: 1),
         Term(column: "content", label: "\(Self.format(weights.content)) × J_content", color: RGBColor(hex: 0x2c6fbb), weight: weights.content),
         Term(column: "style", label: "\(Self.format(weights.style)) × J_style", color: RGBColor(hex: 0xd0621c), weight: weights.style),
         Term(column: "tv", label: "\(Self.format(weights.tv)) × J_tv", color: RGBColor(hex: 0x2e8b4a), weight: weights.tv)]
    }

    /// One line per log whose weighted terms do not add up to its total (relative
    /// difference over 1e-4 in some row): the weights given are probably not the run's.
    public var warnings: [String] {
        tables.compactMap { table in
            guard let total = table.column("total"), let c = table.column("content"), let s = table.column("style"),
                  let t = table.column("tv") else { return nil }
            var worst = 0.0
            for i in total.indices where [total[i], c[i], s[i], t[i]].allSatisfy(\.isFinite) {
                let sum = weights.content * c[i] + weights.style * s[i] + weights.tv * t[i]
                worst = max(worst, abs(sum - total[i]) / max(abs(total[i]), 1e-300))
            }
            guard worst > 1e-4 else { return nil }
            return "loss log '\(table.source)': the weighted terms differ from the total by up to \(Self.format(worst * 100))%; give the run's content, style and TV weights"
        }
    }

    /// Each row's place on the x axis: its iteration, with the stages of a coarse-to-fine
    /// run (a `scale` column) one after another, each starting where the last one ended, so
    /// they do not overlap from x = 0.
    static func steps(_ table: LossTable) -> [Double] {
        guard let iterations = table.column("iteration") else { return [] }
        guard let scales = table.column("scale"), scales.count == iterations.count else { return iterations }
        var offset = 0.0, result: [Double] = []
        for i in iterations.indices {
            // nst counts each stage's iterations from 0; a log whose count goes on is left as it is.
            if i > 0, scales[i] != scales[i - 1], iterations[i].isFinite, iterations[i - 1].isFinite, iterations[i] <= iterations[i - 1] {
                offset = result[i - 1] - iterations[i]
            }
            result.append(iterations[i] + offset)
        }
        return result
    }

    /// The plotted points of `term` in `table`: (step, weighted value), values that are
    /// not positive and finite left out (a log scale cannot show them).
    func points(_ table: LossTable, _ term: Term) -> [(Double, Double)?] {
        guard let values = table.column(term.column) else { return [] }
        let iterations = Self.steps(table)
        return zip(iterations, values).map { k, v in
            let w = v * term.weight
            return k.isFinite && w.isFinite && w > 0 ? (k, w) : nil
        }
    }

    /// The x range (iterations) and y range (whole decades, as exponents) of all points.
    func ranges() -> (x: ClosedRange<Double>, decades: ClosedRange<Int>) {
        var xs: [Double] = [], ys: [Double] = []
        for table in tables {
            xs += Self.steps(table).filter(\.isFinite)
            for term in terms { ys += points(table, term).compactMap { $0.map { log10($0.1) } } }
        }
        var x0 = xs.min() ?? 0, x1 = xs.max() ?? 1
        if x1 <= x0 { x0 -= 0.5; x1 = x0 + 1 }
        var lo = Int((ys.min() ?? -1).rounded(.down)), hi = Int((ys.max() ?? 1).rounded(.up))
        if hi <= lo { lo -= 1; hi += 1 }
        return (x0...x1, lo...hi)
    }

    /// The drawing: axes with ticks and labels, one path per (log, term), stage marks, legend.
    public func drawing() -> Drawing {
        var d = Drawing(width: Int(Self.width), height: Int(Self.height))
        let (xr, decades) = ranges()
        let px = { (k: Double) in Self.left + (k - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * (Self.right - Self.left) }
        let py = { (v: Double) in
            Self.bottom - (log10(v) - Double(decades.lowerBound)) / Double(decades.upperBound - decades.lowerBound) * (Self.bottom - Self.top)
        }
        let grid = RGBColor(hex: 0xe3e3e3), axis = RGBColor(hex: 0x333333)
        d.text("Loss per iteration", x: Self.left, y: 24, size: 15, bold: true)
        // Grid lines and tick labels.
        let step = max(1, (decades.upperBound - decades.lowerBound + 7) / 8)
        for e in stride(from: decades.lowerBound, through: decades.upperBound, by: step) {
            let y = py(pow(10, Double(e)))
            d.add(.line(x1: Self.left, y1: y, x2: Self.right, y2: y, stroke: Stroke(grid), role: "ytick",
                        data: [("value", Self.format(pow(10, Double(e))))]))
            d.text(Self.decadeLabel(e), x: Self.left - 6, y: y + 4, size: 11, color: axis, anchor: .end)
        }
        for k in Self.ticks(xr) {
            let x = px(k)
            d.add(.line(x1: x, y1: Self.top, x2: x, y2: Self.bottom, stroke: Stroke(grid), role: "xtick", data: [("value", Self.format(k))]))
            d.text(Self.format(k), x: x, y: Self.bottom + 16, size: 11, color: axis, anchor: .middle)
        }
        d.add(.rect(x: Self.left, y: Self.top, width: Self.right - Self.left, height: Self.bottom - Self.top,
                    fill: nil, stroke: Stroke(axis)))
        d.text(tables.contains { Set($0.column("scale") ?? []).count > 1 } ? "iteration (stages one after another)" : "iteration",
               x: (Self.left + Self.right) / 2, y: Self.bottom + 38, size: 12, color: axis, anchor: .middle)
        d.text("loss (log scale)", x: 24, y: (Self.top + Self.bottom) / 2, size: 12, color: axis, anchor: .middle, vertical: true)
        // Stage changes of coarse-to-fine runs.
        for table in tables {
            guard let scales = table.column("scale") else { continue }
            let iterations = Self.steps(table)
            let starts = scales.indices.filter { $0 == 0 || scales[$0] != scales[$0 - 1] }
            guard starts.count > 1 else { continue }
            for i in starts {
                let x = px(iterations[i])
                d.add(.line(x1: x, y1: Self.top, x2: x, y2: Self.bottom, stroke: Stroke(RGBColor(hex: 0x8a5fbf), width: 1, dash: [4, 3]),
                            role: "stage", data: [("scale", Self.format(scales[i])), ("log", table.source)]))
                d.text("scale \(Self.format(scales[i]))", x: x + 3, y: Self.top + 12, size: 10, color: RGBColor(hex: 0x6a3f9f))
            }
        }
        // The curves, then the legend.
        var legendY = Self.top + 4
        for (n, table) in tables.enumerated() {
            let dash = Self.dashes[n % Self.dashes.count]
            if tables.count > 1 {
                legendY += 14
                d.text(URL(fileURLWithPath: table.source).lastPathComponent, x: Self.right + 18, y: legendY, size: 12, bold: true)
            }
            for term in terms where table.column(term.column) != nil {
                var runs: [[(x: Double, y: Double)]] = [[]]
                for point in points(table, term) {
                    if let (k, v) = point { runs[runs.count - 1].append((px(k), py(v))) } else if !(runs.last?.isEmpty ?? true) { runs.append([]) }
                }
                let stroke = Stroke(term.color, width: term.column == "total" ? 2 : 1.5, dash: dash)
                d.add(.path(runs: runs.filter { !$0.isEmpty }, stroke: stroke,
                            series: [("log", table.source), ("term", term.column), ("weight", Self.format(term.weight))]))
                legendY += 18
                d.add(.line(x1: Self.right + 18, y1: legendY - 4, x2: Self.right + 48, y2: legendY - 4, stroke: stroke, role: "legend"))
                d.text(term.label, x: Self.right + 54, y: legendY, size: 12)
            }
        }
        return d
    }

    /// Throws unless `path` ends in `.svg` or `.png` (checked before any work).
    /// - Throws: `TransferError.file` naming `role` and `path`.
    public static func checkExtension(_ path: String, role: String) throws {
        let lowered = path.lowercased()
        guard lowered.hasSuffix(".svg") || lowered.hasSuffix(".png") else {
            throw TransferError.file(role: role, path: path, problem: "must end in .svg or .png (the plot's format)")
        }
    }

    /// Writes the plot to `path`: SVG for a `.svg` name, PNG for `.png` (atomically).
    /// - Throws: `TransferError.file` naming `role` and `path` for another extension or a failed write.
    public func write(to path: String, role: String) throws {
        let lowered = path.lowercased()
        do {
            if lowered.hasSuffix(".svg") {
                try ImageFile.writeAtomically(Array(try drawing().svg().utf8), to: path)
            } else if lowered.hasSuffix(".png") {
                try PNGOutput.write(try drawing().rasterize(), to: path)
            } else {
                try Self.checkExtension(path, role: role)
            }
        } catch let error as ImageError {
            throw TransferError.file(role: role, path: path, problem: error.reason)
        }
    }

    /// About six round ticks (1, 2 or 5 times a power of ten apart) inside `range`.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / 6, magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var k = (range.lowerBound / step).rounded(.up) * step
        while k <= range.upperBound + step * 1e-9 { ticks.append(k); k += step }
        return ticks
    }

    /// `10^e` as a short label: plain digits from 0.001 to 10000, else `1e-5`.
    static func decadeLabel(_ e: Int) -> String {
        (-3...4).contains(e) ? format(pow(10, Double(e))) : "1e\(e)"
    }

    /// A number in at most 6 significant digits, without trailing zeros.
    static func format(_ value: Double) -> String { String(format: "%g", value) }
}
