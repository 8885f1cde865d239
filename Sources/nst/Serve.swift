// Serve: `nst serve`, a local web page and JSON API to run transfers and watch them live (README.md "Web interface").
import ArgumentParser
import Foundation
import NSTServe
import StyleTransfer

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a web page and a JSON API to run transfers and watch them live.",
        discussion: """
            Listens on loopback by default; reach a remote machine's server through an SSH tunnel \
            (ssh -L 8080:127.0.0.1:8080 host). A --host other machines can reach needs --token: every request \
            must then carry Authorization: Bearer T (the page sets a cookie when opened once as /?token=T). \
            Jobs run one at a time per device; the others queue. SIGINT or SIGTERM stops running jobs as \
            nst transfer stops, keeping their images, then exits.
            """)

    @Option(help: ArgumentHelp("The address to listen on (127.0.0.1: this machine only).", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port (0: any free one, printed at start).", valueName: "n"))
    var port: UInt16 = 8080

    @Option(help: ArgumentHelp("A secret every request must carry (required with a --host others can reach).", valueName: "T"))
    var token: String?

    @Option(help: ArgumentHelp("The folder that keeps the jobs (their images, logs and status), so a restarted server shows them.", valueName: "folder"))
    var data = "nst-serve"

    @Option(help: ArgumentHelp("The devices jobs run on (as nst transfer --device; a list runs one job on each at a time).", valueName: "name"))
    var device = "auto"

    @Option(help: ArgumentHelp("The largest upload, e.g. 50MiB.", valueName: "size"))
    var maxUpload = "50MiB"

    @Flag(help: "Do not tune an OpenCL device that has no tuning file yet when its first job opens it (NST_AUTOTUNE=0 does the same).")
    var noAutotune = false

    func run() throws {
        var options = ServeOptions(dataFolder: data)
        options.host = host
        options.port = port
        options.token = token
        options.devices = try DeviceChoice.list(parsing: device)
        options.autotune = !noAutotune
        guard let bytes = LargeImageOptions.bytes(maxUpload) else {
            throw TransferError.option("--max-upload", "expected a size such as 50MiB or 800KiB, got '\(maxUpload)'")
        }
        options.maxUpload = bytes
        try Server.run(options, stop: Signals.stop) { url in
            // The line a script or a person reads to find the server (with --port 0, the port it got).
            _ = Console.line("nst serve: \(url)")
        }
        if let signal = Signals.stop.signal {
            throw TransferError.stopped(signal: signal, "stopped by \(StopRequest.name(signal)); running jobs stopped as nst transfer stops, keeping their images")
        }
    }
}
