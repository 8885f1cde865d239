// Tune: `nst tune`: its options, and printing and storing what `OpenCLTuner.tune` chooses for one OpenCL device.
import ArgumentParser
import Foundation
import StyleTransfer

struct Tune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tune the OpenCL backend (GEMM engine and parameters, kernel work-group size, Winograd use and variant) for one device.",
        discussion: """
            Times candidate CLBlast GEMM parameter sets and register tiles of the project's own \
            GEMM kernels on the matrix products VGG-19 issues at --size (keeping the faster \
            engine), the project's kernels at several work-group sizes, and each convolution by \
            Winograd F(2x2) and F(4x4) and by im2col (WINOGRAD_MIN_CHANNELS, WINOGRAD_TILE), \
            then stores the best \
            in the cache folder ($NST_CACHE_DIR, $XDG_CACHE_HOME/nst or ~/.cache/nst, file \
            tuning/<device hash>.json). Every later run on this device and driver applies them \
            at start-up, in place of the shipped tuning entry `nst devices` names for it. Prints \
            the time and GFLOP/s of each op of one evaluation with the defaults and tuned.
            """)

    @Option(help: "The OpenCL device to tune: opencl or opencl:N (see `nst devices`).")
    var device = "opencl"

    @Option(help: "Image side whose VGG-19 matrix shapes are tuned for.")
    var size = 256

    @Option(name: .customLong("budget-seconds"), parsing: .unconditional, help: "Seconds the parameter search may take (the before/after evaluations come on top).")
    var budgetSeconds = 150.0

    @Flag(help: "Skip the per-op evaluation before and after tuning.")
    var noReport = false

    func validate() throws {
        guard size >= 16, size <= 4096 else { throw ValidationError("--size must be 16 to 4096, got \(size)") }
        guard budgetSeconds > 0, budgetSeconds <= 86_400 else {
            throw ValidationError("--budget-seconds must be a positive number of seconds, at most 86400 (a day), got \(budgetSeconds)")
        }
    }

    func run() throws {
        Signals.stopsAtOnce.store(true, ordering: .relaxed)
        guard case let .opencl(index) = try DeviceChoice(parsing: device) else {
            throw ValidationError("--device must be opencl or opencl:N, got \(device)")
        }
        let all = try OpenCLDeviceInfo.all()
        guard all.indices.contains(index ?? 0) else {
            throw ValidationError("there is no OpenCL device \(index ?? 0); `nst devices` lists them")
        }
        let info = all[index ?? 0]
        guard let url = OpenCLTuning.defaultURL(for: info) else {
            throw ValidationError("no cache folder is known: set NST_CACHE_DIR, XDG_CACHE_HOME or HOME")
        }
        Self.say("Tuning \(info.name) (driver \(info.driverVersion)) for \(size)x\(size) images, budget \(Int(budgetSeconds)) s")
        // CLBlast cannot return to its defaults once overridden, so measure them first.
        let before = noReport ? nil : try Benchmark.run(device: try OpenCLDevice(info: info, tuning: .none), size: size, evaluations: 1)
        // The products of `nst transfer`'s default losses at this size.
        let plan = try TransferPlan(TransferOptions(), styleCount: 1)
        let outcome = try OpenCLTuner { Self.say($0) }.tune(info: info, plan: plan, size: size, budgetSeconds: budgetSeconds)
        let tuning = outcome.tuning
        try tuning.store(to: url)
        // The file wins over the shipped database from now on: say which entry it replaces.
        let shipped = OpenCLTuningDatabase.shipped.tuning(for: info.identity).map { " (in place of the shipped entry \($0.entry.name))" }
        Self.say("Stored \(url.path)\(shipped ?? ""): " + outcome.summary)
        if let before {
            let tuned = try OpenCLDevice(info: info, tuning: .given(tuning))
            tuned.applyCLBlastTuning()
            let after = try Benchmark.run(device: tuned, size: size, evaluations: 1)
            Self.say("One evaluation at \(size)x\(size) on \(info.name) (ops timed one by one):")
            Self.say(TuneReport.table(before: before, after: after))
        }
    }

    /// Writes `line` to standard output at once (unbuffered, so progress lines show up while
    /// the search runs even through a pipe), never trapping on a closed output.
    private static func say(_ line: String) {
        Console.line(line)
    }
}
