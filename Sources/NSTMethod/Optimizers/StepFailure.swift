// StepFailure: an optimiser step that could not make progress, reported instead of counted as an iteration.
import NSTCore

/// Why an optimiser's step made no progress; `x` and the gradient are left as they were
/// before the step.
public enum StepFailure: Error, Equatable, Sendable {
    /// Trial points had finite values of J, but none lowered it enough: J is at a minimum
    /// to float precision.
    case noDecrease
    /// No trial point had a finite J (the first trial step is far too large).
    case noFiniteTrial
}
