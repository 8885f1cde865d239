// TransferError: a bad option, a bad input file, or a run that went wrong, in one line a user can act on.

/// An error of the style transfer run, worded as one line naming the option or file.
public enum TransferError: Error, CustomStringConvertible, Equatable {
    /// An option has a bad value: its name as the user typed it, and the problem.
    case option(String, String)
    /// An input or output file is wrong: `content image 'a.png': no such file`.
    case file(role: String, path: String, problem: String)
    /// The optimisation diverged (NaN or infinite loss).
    case diverged(String)
    /// A signal stopped the run (what was written is in the message); the process exits 128 + signal.
    case stopped(signal: Int32, String)

    /// The one line printed after `nst: error: `.
    public var description: String {
        switch self {
        case let .option(name, problem): return "\(name): \(problem)"
        case let .file(role, path, problem): return "\(role) '\(path)': \(problem)"
        case let .diverged(message): return message
        case let .stopped(_, message): return message
        }
    }
}
