// AutoTune: the short automatic tune of an OpenCL device on its first use (no tuning file yet): when it runs, its budget, its lines on stderr, and storing its file.
import Foundation
import NSTCore
import NSTOpenCL

/// The short automatic tune a run gives an OpenCL device that has no tuning file of its own
/// (`OpenCLTuning.defaultURL`): `OpenCLTuner.quickTune` from the device's shipped entry (or
/// the defaults) at the run's size, within `budgetSeconds` (besides building the kernels the
/// run needs anyway; `maxBudgetSeconds` in all), stored as the device's tuning file so that
/// later runs open it tuned and search nothing.
///
/// Runs where a run opens its devices (`DeviceSelection.makeDevice(_:autotune:)`: `nst
/// transfer`, its batches and MPI runs, `nst video`, `nst serve`); `nst bench`, `nst tune`
/// and the inspection commands never start it. Switched off by `TransferOptions.autotune`
/// (`--no-autotune`) or the environment variable `NST_AUTOTUNE=0`. It writes one line to
/// standard error when it starts and one when it ends. It never fails a run: a search that
/// fails, or a file that cannot be written (a read-only cache), costs one warning line and
/// the run goes on (with the search's result, or with what it would have had without it).
/// It chooses only among settings `OpenCLTuning.validate` accepts, which the op table
/// tests hold to the same tolerances as any other tuning.
public struct AutoTune: Sendable {
    /// Seconds the search may take, besides building the run's own kernels, unless
    /// `NST_AUTOTUNE_SECONDS` says otherwise. On the project's 2-core machine PoCL's search
    /// at 256x256 takes 1 to 3 s (README, "Devices").
    public static let defaultBudgetSeconds = 10.0
    /// The most `NST_AUTOTUNE_SECONDS` may ask for, and the most the whole tune may take,
    /// kernel builds included (`OpenCLTuner.quickTune`'s `wallSeconds`).
    public static let maxBudgetSeconds = 20.0

    /// Image side the products and convolutions are timed at (the run's long side).
    public var size: Int
    /// VGG-19 layers an evaluation runs through, and its style layers (a plan's).
    public var depth: Int
    public var styleLayers: [Int]
    /// Wall-clock seconds the search may take besides building the run's kernels
    /// (0 ≤ budget ≤ `maxBudgetSeconds`); the whole tune stops at `maxBudgetSeconds`.
    public var budgetSeconds: Double
    /// The environment that names the cache folder (`NST_CACHE_DIR`, as for the programs).
    public var environment: [String: String]
    /// Where the start and end lines and warnings go (default: standard error).
    public var say: @Sendable (String) -> Void

    /// A tune at `size` for evaluations through `depth` layers with style losses at `styleLayers`.
    public init(size: Int, depth: Int, styleLayers: [Int], budgetSeconds: Double = AutoTune.defaultBudgetSeconds,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                say: @escaping @Sendable (String) -> Void = { _ = Console.error($0 + "\n") }) {
        self.size = size
        self.depth = depth
        self.styleLayers = styleLayers
        self.budgetSeconds = min(max(budgetSeconds, 0), Self.maxBudgetSeconds)
        self.environment = environment
        self.say = say
    }

    /// The automatic tune of a run of `options` (at `options.size`, with the layers of its
    /// plan), or nil when it is switched off: `options.autotune` false, `NST_AUTOTUNE`
    /// set to `0` in `environment`, or `NST_TUNING` other than auto (`ProcessSettings.tuningPolicy`). `NST_AUTOTUNE_SECONDS` sets the budget (more than 0, at
    /// most 20; default 10).
    /// - Throws: `DeviceError.invalidArgument` naming `NST_AUTOTUNE` or `NST_AUTOTUNE_SECONDS`
    ///   for a value they do not take.
    public init?(for options: TransferOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        // NST_TUNING=shipped or defaults asks for those settings: nothing to tune or store.
        guard options.autotune, try Self.enabled(environment), ProcessSettings.tuningPolicy == .auto else { return nil }
        // The run's layers in VGG-19 (the network the tuner times), without opening the weights
        // file again; a plan that does not build here falls back to the default one, which
        // `nst tune` uses.
        var layers = options
        layers.weightsPath = nil
        layers.model = nil
        let plan = (try? TransferPlan(layers, styleCount: max(1, options.stylePaths.count)))
            ?? (try? TransferPlan(TransferOptions(), styleCount: 1))
        self.init(size: options.size, depth: plan?.depth ?? VGG19.layers.count, styleLayers: plan?.style.indices ?? [],
                  budgetSeconds: try Self.budget(environment), environment: environment)
    }

    /// Whether `NST_AUTOTUNE` leaves the automatic tune on: unset, empty or `1`; `0` turns it off.
    /// - Throws: `DeviceError.invalidArgument` for any other value.
    public static func enabled(_ environment: [String: String]) throws -> Bool {
        switch environment["NST_AUTOTUNE"] ?? "" {
        case "", "1": return true
        case "0": return false
        case let value:
            throw DeviceError.invalidArgument(op: "NST_AUTOTUNE", detail: "must be 0 (no automatic tuning) or 1, got '\(value)'")
        }
    }

    /// The budget `NST_AUTOTUNE_SECONDS` sets, else `defaultBudgetSeconds`.
    /// - Throws: `DeviceError.invalidArgument` for a value that is not a number of seconds above 0 and at most 20.
    public static func budget(_ environment: [String: String]) throws -> Double {
        guard let text = environment["NST_AUTOTUNE_SECONDS"], !text.isEmpty else { return defaultBudgetSeconds }
        guard let seconds = Double(text), seconds > 0, seconds <= maxBudgetSeconds else {
            throw DeviceError.invalidArgument(op: "NST_AUTOTUNE_SECONDS", detail:
                "must be a number of seconds above 0 and at most \(Int(maxBudgetSeconds)), got '\(text)'")
        }
        return seconds
    }

    /// Where `info`'s device should take its tuning from, after tuning it when it has no
    /// tuning file: `.stored` when a file exists or was just written (or when no cache
    /// folder is known, so nothing could be kept), `.given` with the search's result when
    /// the file could not be written. Never throws: a failed search or write costs one
    /// warning line.
    public func prepare(_ info: OpenCLDeviceInfo) -> OpenCLTuningSource {
        guard let root = OpenCLTuning.cacheRoot(environment: environment) else { return .stored }
        let url = OpenCLTuning.url(in: root, for: info)
        guard OpenCLTuning.load(from: url, for: info) == nil else { return .storedIn(root: root) }
        let start = OpenCLDevice.tuning(for: info, source: .storedIn(root: root))
        say("nst: tuning OpenCL device \(info.name) for \(size)x\(size) images (first use: at most \(Self.seconds(budgetSeconds)) s, "
            + "\(Self.seconds(Self.maxBudgetSeconds)) s with kernel builds; --no-autotune or NST_AUTOTUNE=0 skips this)...")
        let outcome: OpenCLQuickTuneOutcome
        do {
            outcome = try OpenCLTuner().quickTune(info: info, start: start.tuning, size: size, depth: depth, styleLayers: styleLayers,
                                                  budgetSeconds: budgetSeconds, wallSeconds: Self.maxBudgetSeconds)
        } catch {
            say("nst: warning: automatic tuning of \(info.name) failed (\(error)); going on with its \(start.origin.label) tuning")
            return .storedIn(root: root)
        }
        let from: String
        switch start.origin {
        case .shipped(let entry, _): from = "the shipped entry \(entry)"
        case .defaults: from = "the defaults"
        case .file, .given: from = "its \(start.origin.label) tuning"
        }
        let building = outcome.buildSeconds >= 0.5
            ? String(format: " (and %.1f s building kernels the run needs anyway)", outcome.buildSeconds) : ""
        let summary = "nst: tuned \(info.name) in \(String(format: "%.1f", outcome.seconds)) s\(building) from \(from): "
            + outcome.steps.joined(separator: ", ")
        do {
            try outcome.tuning.store(to: url)
        } catch {
            say(summary)
            say("nst: warning: \(error); the tuning holds for this run only")
            return .given(outcome.tuning)
        }
        say(summary + "; stored \(url.path) (`nst tune` searches further)")
        return .storedIn(root: root)
    }

    /// Seconds as "10" or "2.5".
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
