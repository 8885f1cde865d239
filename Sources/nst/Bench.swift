// Bench: `nst bench`, seconds per evaluation through VGG-19 on each backend, as a table or JSON.
import ArgumentParser
import Foundation
import StyleTransfer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time evaluations of J and dJ/dx through VGG-19 (to relu5_1, default losses) on each backend.",
        discussion: """
            Each figure is the median of --evaluations timed evaluations after --warmup untimed \
            ones, on seeded noise images with the built-in weights. GFLOP/s counts the \
            convolutions' forward and input-gradient work (about 95 GFLOP at 256x256). The \
            breakdown profiles one more evaluation, waiting for each op to finish.
            """)

    @Option(help: "Backend: cpu, opencl, opencl:N, auto, or all (the CPU backend and the first OpenCL device); a comma-separated list (cpu,opencl) times one tiled evaluation spread over them (needs --tile).")
    var device = "all"

    @Option(parsing: .unconditional, help: "Evaluate in tiles of this side in pixels (as transfer --tile).")
    var tile: Int?

    @Option(name: .customLong("size"), help: "Image side in pixels; repeat for several sizes. (default: 256 and 512)")
    var sizes: [Int] = []

    @Option(parsing: .unconditional, help: "Timed evaluations per size.")
    var evaluations = 5

    @Option(parsing: .unconditional, help: "Untimed evaluations before timing.")
    var warmup = 1

    @Flag(help: "Skip the per-op breakdown.")
    var noBreakdown = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        Signals.stopsAtOnce.store(true, ordering: .relaxed)
        let sizes = self.sizes.isEmpty ? [256, 512] : self.sizes
        guard evaluations >= 1 else { throw ValidationError("--evaluations must be at least 1, got \(evaluations)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
        // Sizes and tiles are checked by the same plan as a transfer's, before any device opens.
        for size in sizes { _ = try Benchmark.plan(size: size, tile: tile) }
        var devices: [any Device] = []
        var workers: [any Device] = []
        if device == "all" {
            devices.append(CPUDevice())
            if (try? OpenCLDeviceInfo.all())?.isEmpty == false { devices.append(try DeviceSelection.makeDevice(.opencl(nil))) }
        } else {
            let choices = try DeviceChoice.list(parsing: device)
            guard choices.count == 1 || tile != nil else { throw ValidationError("--device with several devices needs --tile") }
            workers = choices.count > 1 ? try choices.map { try DeviceSelection.makeDevice($0) } : []
            devices = try [workers.first ?? DeviceSelection.makeDevice(choices[0])]
        }
        var results: [BenchmarkResult] = []
        for device in devices {
            for size in sizes {
                // The CPU backend's speed hangs on its own kernels' instruction set (NST_CPU_KERNELS can
                // lower it) and on OpenBLAS's kernels (OPENBLAS_CORETYPE can force them).
                // An OpenCL device's speed hangs on its tuning: its own file, a shipped entry or the defaults.
                let kernels = device is CPUDevice
                    ? " (\(ProcessSettings.cpuKernels) kernels, OpenBLAS \(ProcessSettings.openBLASCore) kernels)"
                    : (device as? OpenCLDevice).map { " (tuning: \($0.tuningOrigin.label))" } ?? ""
                if !json { Console.error("benchmarking \(device.name) at \(size)x\(size)\(kernels)...\n") }
                let result = try Benchmark.run(device: device, size: size, evaluations: evaluations, warmup: warmup,
                                               breakdown: !noBreakdown, tile: tile, workers: workers)
                results.append(result)
                if !json { Console.line(Self.table(result)) }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Console.line(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }

    /// Seconds with at least three significant digits (a GPU evaluation takes milliseconds).
    static func seconds(_ value: Double) -> String {
        String(format: value < 0.1 ? "%.5f" : "%.3f", value)
    }

    static func table(_ r: BenchmarkResult) -> String {
        var lines = [
            "\(r.device) \(r.size)x\(r.size): \(seconds(r.secondsPerEvaluation)) s per evaluation "
                + "(median of \(r.evaluations); min \(seconds(r.samples.min() ?? 0)); "
                + "processor time \(seconds(r.cpuSecondsPerEvaluation)) s), "
                + "\(String(format: "%.1f", r.gflopPerSecond)) GFLOP/s of \(String(format: "%.1f", r.gflopPerEvaluation)) GFLOP, "
                + "peak memory \(r.peakResidentBytes / 1_048_576) MiB, set-up \(String(format: "%.2f", r.setupSeconds)) s",
        ]
        if !r.breakdown.isEmpty {
            lines.append("  op                     share   seconds   GFLOP/s")
            for share in r.breakdown {
                let rate = share.gflopPerSecond.map { String(format: "%9.1f", $0) } ?? "        -"
                lines.append("  " + share.op.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + String(format: "%7.1f%%  %8.4f", share.share * 100, share.seconds) + " " + rate)
            }
        }
        return lines.joined(separator: "\n")
    }
}
