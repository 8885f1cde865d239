// RunFuzzer: each fuzz target's main hands its one-input function to libFuzzer's driver.
import CFuzzDriver
import Foundation

/// One fuzz input: its bytes (nil when empty) and count; returns 0 (libFuzzer's convention).
public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer on `body` with the command line's options and exits with its status.
/// SwiftPM gives executables a Swift main (renamed for testability), so libFuzzer is linked
/// without its own main and started here.
public func runFuzzer(_ body: FuzzInput) -> Never {
    exit(nst_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, body))
}
