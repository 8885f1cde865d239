// LargeImageArguments: the `nst transfer` options of large images: tiles, memory budget, coarse-to-fine stages.
import ArgumentParser
import StyleTransfer

public struct LargeImageArguments: ParsableArguments {
    public init() {}

    @Option(parsing: .unconditional, help: ArgumentHelp("Evaluate in tiles of this side in pixels (exact: the result equals the untiled one); default: tiles only when the image does not fit the memory budget.", valueName: "pixels"))
    var tile: Int?

    @Option(name: .customLong("max-memory"), parsing: .unconditional, help: ArgumentHelp("Memory each device may use, e.g. 1GiB or 800MiB (default: what the device reports, less a tenth).", valueName: "size"))
    var maxMemory: String?

    @Option(name: .customLong("start-size"), parsing: .unconditional, help: ArgumentHelp("Coarse to fine: the long side of the first stage; stages grow by --scale-factor up to --size, each starting from the last result.", valueName: "pixels"))
    var startSize: Int?

    @Option(name: .customLong("scale-factor"), parsing: .unconditional, help: ArgumentHelp("Coarse to fine: each stage's size over the last one's.", valueName: "factor"))
    var scaleFactor: Double = 2

    @Option(name: .customLong("stage-iterations"), help: ArgumentHelp("Coarse to fine: comma-separated iterations of each stage (default: --iterations each).", valueName: "n,n,..."))
    var stageIterations: String?

    /// The options as the library takes them.
    public func options() throws -> LargeImageOptions {
        var large = LargeImageOptions()
        large.tile = tile
        if let text = maxMemory {
            guard let bytes = LargeImageOptions.bytes(text) else {
                throw TransferError.option("--max-memory", "'\(text)' is not a memory size (e.g. 1GiB, 800MiB, 2000000000)")
            }
            large.maxMemory = bytes
        }
        large.startSize = startSize
        large.scaleFactor = scaleFactor
        large.stageIterations = try stageIterations.map { list in
            try TransferArguments.names(list).map { text in
                guard let n = Int(text) else { throw TransferError.option("--stage-iterations", "'\(text)' is not a whole number") }
                return n
            }
        }
        return large
    }
}
