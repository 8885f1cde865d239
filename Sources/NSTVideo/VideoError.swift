// VideoError: what went wrong reading or writing a video file, in one plain line naming the file.

/// An error about a video file: one line a user can act on, naming the file, e.g.
/// `'clip.mp4': damaged or truncated video: invalid data found when processing input (moov atom not found)`.
public struct VideoError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file concerned, as the caller named it.
    public let path: String
    /// What is wrong, without the file name.
    public let problem: String

    /// An error about `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `'path': problem`.
    public var description: String { "'\(path)': \(problem)" }
}
