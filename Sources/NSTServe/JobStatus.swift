// JobStatus: one job as the API shows it (state, progress, losses, error), kept in its folder as status.json.
import Foundation

/// Where a job is in its life.
public enum JobState: String, Codable, Sendable {
    case queued, running, done, failed, stopped

    /// Whether the job will not change any more.
    public var isFinal: Bool { self == .done || self == .failed || self == .stopped }
}

/// J and its parts at the last iteration.
public struct JobLosses: Codable, Equatable, Sendable {
    public var total: Double, content: Double, style: Double, tv: Double
}

/// The JSON of `GET /api/jobs/{id}`.
public struct JobStatus: Codable, Equatable, Sendable {
    public var id: String
    public var state: JobState
    /// The iteration reached in the current stage, and the stage's iteration count.
    public var iteration = 0, iterations = 0
    /// The stage (1-based) and the number of stages (coarse to fine).
    public var stage = 1, stages = 1
    public var losses: JobLosses?
    /// Seconds since the stage began, and the estimated seconds left in the job.
    public var seconds: Double?
    public var eta: Double?
    /// The iteration of the last image (the page reloads the image when it grows).
    public var imageIteration: Int?
    /// Why the job failed or stopped.
    public var error: String?
    /// When the job was posted (seconds since 1970).
    public var created: Double
    /// The content and style file names as uploaded.
    public var content: String?
    public var styles: [String] = []

    public init(id: String, state: JobState, created: Double) {
        self.id = id
        self.state = state
        self.created = created
    }
}
