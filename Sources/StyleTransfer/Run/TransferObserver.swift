// TransferObserver: what a front end that watches a run (the web page of `nst serve`) is told: every iteration, and now and then the image so far.
import Foundation
import NSTImages
import NSTMethod

/// Receives a run's progress as it happens, on the thread running it. Calls must return
/// quickly: the optimisation waits for them.
public protocol TransferObserver: AnyObject {
    /// Iteration `iteration` of `total` of stage `stage` (0-based) of `stages` is done, with its
    /// losses and the seconds since the stage's optimisation began.
    func iteration(_ iteration: Int, of total: Int, stage: Int, stages: Int, losses: LossValues, seconds: Double)
    /// The image after `iteration` of stage `stage`, as it would be written (clamped when
    /// encoded, colour controls applied): sent at most every `imageInterval` seconds, and
    /// after each stage's last iteration.
    func image(_ image: Image, iteration: Int, stage: Int)
    /// The least time between two images (downloading and handing one over costs a little).
    var imageInterval: Double { get }
}
