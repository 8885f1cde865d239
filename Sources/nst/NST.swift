// NST: the root `nst` command and its list of subcommands.
import ArgumentParser

@main
struct NST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst",
        abstract: "Neural style transfer (Gatys, Ecker, Bethge 2015) on OpenCL or the CPU.",
        subcommands: [Devices.self])
}
