// SelfTestCommand: `nst selftest`, the op table's cases on a device against the built-in naive Double reference.
import ArgumentParser
import Foundation
import NSTSelfTest
import StyleTransfer

struct SelfTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check a device's ops against nst's built-in naive reference (the op table).",
        discussion: """
            Runs every case of the op table (convolutions and their input gradients by im2col, \
            in bands and by both Winograd variants; ReLU, pooling, normalisation, Gram products, \
            the losses, the vector ops, Adam, tiles' windows, masks, warps) on the device, \
            compares each output with deliberately naive loops in Double, and prints the worst \
            mismatch per tolerance family and per op as a fraction of its tolerance (above 1 \
            fails). An OpenCL device runs as `nst transfer` opens it (with its tuning), plus an \
            untuned banded twin and two twins tuned to take each Winograd variant. Exits 1 when \
            any case fails: worth running once on an unusual OpenCL driver.
            """)

    @Option(help: "The device or devices to check: auto, cpu, opencl, opencl:N, or a comma-separated list (see `nst devices`).")
    var device = "auto"

    @Flag(help: "Print each case as it runs.")
    var verbose = false

    func validate() throws {
        do {
            _ = try DeviceChoice.list(parsing: device)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        Signals.stopsAtOnce.store(true, ordering: .relaxed)
        var failed: [String] = []
        for choice in try DeviceChoice.list(parsing: device) {
            let opened = try DeviceSelection.makeDevice(choice)
            let backend: OpTableBackend
            if let cl = opened as? OpenCLDevice {
                Console.line("OpenCL device \(cl.info.index): \(cl.info.name) (driver \(cl.info.driverVersion), tuning: \(cl.tuningOrigin.label))")
                backend = try OpTableBackend.opencl(cl)
            } else {
                Console.line("CPU backend (\(ProcessSettings.cpuKernels) kernels)")
                backend = .cpu()
            }
            let started = Date()
            let report = SelfTest.run(backend, progress: verbose ? { Console.line("  " + $0) } : nil)
            for line in report.lines { Console.line(line) }
            Console.line(String(format: "%@: %@ in %.1f s", report.backend, report.passed ? "passed" : "FAILED", Date().timeIntervalSince(started)))
            Console.line()
            if !report.passed { failed.append("\(report.failures.count) failures on \(report.backend)") }
        }
        if !failed.isEmpty { throw SelfTestFailed(summary: failed.joined(separator: ", ")) }
    }
}

/// The error of a self-test that found mismatches (the details are on standard output).
struct SelfTestFailed: Error, CustomStringConvertible {
    var summary: String
    var description: String { "selftest: \(summary) (the failing cases are listed above)" }
}
