// Transfer: `nst transfer`, the style transfer command and its options (README.md "Using `nst`").
import ArgumentParser
import Foundation
import NSTArguments
import StyleTransfer

struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the content image in the style of one or more style images.",
        discussion: """
            Minimises J = alpha J_content + beta J_style + gamma J_tv over the pixels of the generated \
            image, with VGG-19 or VGG-16 features (built-in seeded random weights unless --weights is given). \
            Layer names: conv{b}_{i}, relu{b}_{i}, pool{b} for blocks b = 1..5 (VGG-19: 2, 2, 4, 4, 4 convolutions; \
            VGG-16: 2, 2, 3, 3, 3). With --preset neural-style the weights mean what they mean in neural-style \
            (defaults 5, 100, 1e-3; docs/MATH.md section 10). \
            Bad input exits with status 1 and one line on stderr.
            """)

    @Option(help: ArgumentHelp("Content image (PNG, JPEG or TIFF), a folder of them, or a glob pattern (quoted); repeat for several. With several, --output (and --loss-log, --plot) must contain {name} (the content's base name) or be an existing folder.", valueName: "file|folder|pattern"))
    var content: [String] = []

    @Flag(help: "With several contents: leave a content alone when its output exists.")
    var skipExisting = false

    @Option(help: ArgumentHelp("Spread the run over the processes of an MPI job (mpirun -np N nst transfer ... --distributed mpi): one content's tiles (needs --tile), or several contents. --device auto then means the GPU numbered by the node-local rank.", valueName: "mpi"))
    var distributed: String?

    @Option(help: ArgumentHelp("Run only shard K of N of the sorted contents (every N-th from the K-th), or auto: from Slurm's job-array variables (SLURM_ARRAY_TASK_ID with _MIN/_MAX or _COUNT).", valueName: "K/N|auto"))
    var shard: String?

    @Option(help: ArgumentHelp("Output image, written atomically; the format follows the extension: .png, .jpg or .tif.", valueName: "file"))
    var output: String

    @OptionGroup
    var common: TransferArguments

    func validate() throws {
        guard !content.isEmpty else { throw ValidationError("Missing expected argument '--content <file|folder|pattern>'") }
        if let distributed, distributed != "mpi" { throw TransferError.option("--distributed", "the only transport is mpi, got '\(distributed)'") }
    }

    func run() throws {
        let all = try ContentList.expand(content)
        let contents = try shard.map { try Shard(parsing: $0).of(all) } ?? all
        let options = try common.options(content: contents.first ?? "", output: output)
        guard !contents.isEmpty else {
            Console.error("nst: shard \(shard ?? "") of \(all.count) contents is empty; nothing to do\n")
            return
        }
        let report = { (_: String, error: any Error) -> Void in _ = Console.error("nst: error: \(error)\n") }
        // One content is a plain run (TransferBatch hands it to TransferRunner); several a batch.
        let summary: BatchSummary?
        let autotune = try AutoTune(for: options)
        if distributed != nil {
            summary = try MPIRun.run(options, contents: contents, skipExisting: skipExisting, stop: Signals.stop, report: report) { rank in
                try options.devices.map { try DeviceSelection.makeDevice($0, localRank: rank, autotune: autotune) }
            }
        } else {
            summary = try TransferBatch.run(options, contents: contents, skipExisting: skipExisting, stop: Signals.stop, report: report) {
                try options.devices.map { try DeviceSelection.makeDevice($0, autotune: autotune) }
            }
        }
        guard contents.count > 1, let summary else { return }
        Console.error("nst: batch: \(summary)\n")
        if summary.failed > 0 { throw BatchFailures(summary: summary) }
    }
}
