// Signals: how `nst` reacts to SIGPIPE, SIGINT, SIGTERM and SIGHUP (README.md "What nst promises").
import Dispatch
import Foundation
import StyleTransfer
import Synchronization

/// The process's signal handling, set up once at start-up.
///
/// SIGPIPE is ignored, so a reader that went away (`nst ... | head -1`) makes writes fail
/// with EPIPE, which `Console` reports and the run survives, instead of killing the process.
/// SIGINT, SIGTERM and SIGHUP are taken from their default action (death with nothing
/// written) and delivered to a dispatch source, where ordinary code may run: the first asks
/// the run to stop after the iteration in progress (`StopRequest`; an iteration still running
/// after `StopRequest.patience` seconds is abandoned), which writes the image and loss log
/// reached; a second ends the process at once, after removing temporary files.
enum Signals {
    /// The stop request the transfer command passes to `TransferRunner`.
    static let stop = StopRequest()

    /// Set by the commands that have no result to save when stopped (bench, tune, the
    /// listings): their first signal ends the process at once, cleanly, with 128 + signal.
    /// Before, those commands ignored the first signal and took a second to stop.
    static let stopsAtOnce = Atomic<Bool>(false)

    /// Installs the handlers; the returned sources must be kept alive while the command runs.
    static func install() -> [any DispatchSourceSignal] {
        signal(SIGPIPE, SIG_IGN)
        return [SIGINT, SIGTERM, SIGHUP].map { number in
            // Ignored at the process level so that only the dispatch source sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // A source coalesces signals that arrive together: count each of them.
                let count = max(Int(source.data), 1)
                var requests = 0
                for _ in 0..<count { requests = stop.request(signal: number) }
                if stopsAtOnce.load(ordering: .relaxed) {
                    TemporaryFiles.removeAll()
                    Console.error("nst: stopped by \(StopRequest.name(number)); nothing was written\n")
                    _exit(128 + number)
                }
                guard requests > 1 else { return }
                TemporaryFiles.removeAll()
                Console.error("nst: stopped at once by a second signal (\(StopRequest.name(number))); temporary files removed, nothing more written\n")
                _exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// The exit status of a run ended by `signal`: 128 + the signal number, as shells report it.
    static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }
}
