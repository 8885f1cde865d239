// Plot: `nst plot`, loss logs drawn as curves against iteration (SVG or PNG).
import ArgumentParser
import StyleTransfer

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plot one or more loss logs (from transfer --loss-log) as curves on a log scale.",
        discussion: """
            Draws J and its weighted terms (alpha J_content, beta J_style, gamma J_tv) against the \
            iteration, one colour per term and one dash pattern per log; the stages of a coarse-to-fine \
            run (a 'scale' column) are marked. Columns are read by their header names. The log holds \
            the unweighted parts, so give the run's weights if they were not the defaults. The output \
            is SVG or PNG by its extension.
            """)

    @Argument(help: ArgumentHelp("Loss log CSV files (header iteration,total,content,style,tv,...).", valueName: "loss-log"))
    var logs: [String] = []

    @Option(help: ArgumentHelp("Output picture (.svg or .png), written atomically.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("alpha of the run(s), to weight J_content.", valueName: "alpha"))
    var contentWeight: Double = LossWeights.defaults.content

    @Option(parsing: .unconditional, help: ArgumentHelp("beta of the run(s), to weight J_style.", valueName: "beta"))
    var styleWeight: Double = LossWeights.defaults.style

    @Option(parsing: .unconditional, help: ArgumentHelp("gamma of the run(s), to weight J_tv.", valueName: "gamma"))
    var tvWeight: Double = LossWeights.defaults.tv

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("give at least one loss log file") }
        for (name, value) in [("--content-weight", contentWeight), ("--style-weight", styleWeight), ("--tv-weight", tvWeight)]
        where !value.isFinite || value < 0 {
            throw TransferError.option(name, "must be a finite number of 0 or more, got \(value)")
        }
    }

    func run() throws {
        try LossPlot.checkExtension(output, role: "--output")
        try InspectPaths.checkOutput(output, role: "--output", inputs: logs.map { ("loss log", $0) })
        let tables = try logs.map { try LossTable(path: $0) }
        let plot = try LossPlot(tables: tables, weights: LossWeights(content: contentWeight, style: styleWeight, tv: tvWeight))
        for warning in plot.warnings { Console.error("nst: warning: \(warning)\n") }
        try plot.write(to: output, role: "--output")
        Console.line("nst: wrote \(output)")
    }
}
