// RunFuzzer: each fuzz target's main hands its one-input function to libFuzzer's driver.
import CFuzzDriver
import Foundation

/// One fuzz input: its bytes and count (an input libFuzzer passes as NULL never reaches it).
public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>, Int) -> Void

/// Runs libFuzzer on `body` with the command line's options and exits with its status.
/// SwiftPM gives executables a Swift main (renamed for testability), so libFuzzer is linked
/// without its own main and started here; the C side skips NULL inputs and returns
/// libFuzzer's 0, so a target is just its one-input function.
public func runFuzzer(_ body: FuzzInput) -> Never {
    exit(nst_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, body))
}
