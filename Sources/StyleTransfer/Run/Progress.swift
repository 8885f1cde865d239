// Progress: the run's progress display on stderr: one updating line on a terminal, plain lines otherwise.
import Foundation
import NSTCore
import NSTMethod

/// Reports iterations on stderr. On a terminal, one line rewritten in place with the
/// iteration, losses, iterations per second and time left; otherwise (a pipe or file) a
/// plain line about every tenth of the run. Silent when `quiet`.
public final class ProgressDisplay {
    /// The number of iterations of the run.
    public let total: Int
    /// Nothing is written when set.
    public let quiet: Bool
    /// Whether stderr is a terminal (one redrawn line) or not (plain lines).
    public let isTerminal: Bool
    /// Put before each progress line: the stage (`2/3 `) of a coarse-to-fine run, a video's
    /// frame (`frame 3/8 `), else empty.
    public let label: String
    /// Seconds of work expected after this run's iterations (a video's later frames), part of the time left.
    public var secondsAfter = 0.0
    private var lastDraw = -1.0

    /// A display for `total` iterations; `isTerminal` defaults to what stderr is.
    public init(total: Int, quiet: Bool, label: String = "", isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = total
        self.quiet = quiet
        self.label = label
        self.isTerminal = isTerminal
    }

    /// The text of one progress report.
    public func line(iteration k: Int, losses l: LossValues, seconds: Double) -> String {
        let rate = k > 0 && seconds > 0 ? Double(k) / seconds : 0
        let left = rate > 0 ? Self.clock(Double(total - k) / rate + secondsAfter) : "--:--"
        // Kept under 80 columns so the terminal line never wraps (a wrapped line cannot be
        // redrawn with \r): a long label (a video's frame) takes the TV part's place.
        let parts = label.count > 6 ? String(format: "c %.2e s %.2e", l.content, l.style)
                                    : String(format: "c %.2e s %.2e tv %.2e", l.content, l.style, l.tv)
        return label + String(format: "%ld/%ld  J %.3e  ", k, total, l.total) + parts + String(format: "  %.2f it/s  ETA ", rate) + left
    }

    /// Shows iteration `k`.
    public func update(iteration k: Int, losses: LossValues, seconds: Double) {
        guard !quiet else { return }
        if isTerminal {
            // Redraw at most ~10 times a second, and always for the last iteration.
            guard k == total || seconds - lastDraw >= 0.1 else { return }
            lastDraw = seconds
            Self.write("\r\u{1B}[K" + line(iteration: k, losses: losses, seconds: seconds) + (k == total ? "\n" : ""))
        } else {
            let period = max(1, total / 10)
            guard k % period == 0 || k == total else { return }
            Self.write(line(iteration: k, losses: losses, seconds: seconds) + "\n")
        }
    }

    /// Ends an unfinished terminal line (before an error message).
    public func interrupt() {
        if !quiet, isTerminal, lastDraw >= 0 { Self.write("\n") }
    }

    /// A plain message line (setup steps, saved files), unless quiet.
    public func note(_ text: String) {
        guard !quiet else { return }
        Self.write(text + "\n")
    }

    /// `m:ss` or `h:mm:ss`; `--:--` for an estimate beyond 10^9 s (a run of billions of
    /// iterations), which would not convert to Int.
    static func clock(_ seconds: Double) -> String {
        guard seconds >= 0, seconds < 1e9 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60) : String(format: "%ld:%02ld", s / 60, s % 60)
    }

    static func write(_ text: String) {
        Console.error(text)
    }
}
