// StopRequest: a request to end a run early (a signal), made from any thread and read by the optimisation loop.
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by a signal handler (or any thread), read by `TransferEngine.run` between
/// iterations: the run then ends after the iteration in progress, and `TransferRunner`
/// writes the image and loss log reached so far. An iteration still running `patience`
/// seconds after the request is abandoned (`isOverdue`, checked by the network between
/// layers and tiles): the image of the last finished iteration is written instead, so a
/// stop never waits long for a slow iteration of a large image.
public final class StopRequest: Sendable {
    private let state = Atomic<Int32>(0)
    private let requests = Atomic<Int>(0)
    /// `DispatchTime` uptime (ns) of the first request; 0 before it.
    private let requestedAt = Atomic<UInt64>(0)
    /// Seconds an iteration in progress may still take after the request before it is abandoned.
    public let patience: Double

    /// A request not yet made.
    /// - Parameter patience: seconds the iteration in progress may run on after a request
    ///   (2 by default: most iterations finish in that time and are kept).
    public init(patience: Double = 2) {
        self.patience = patience
    }

    /// Records a request for `signal` (a positive signal number). Returns how many requests
    /// there have been, this one included: 1 for the first, which asks for a clean stop.
    @discardableResult
    public func request(signal: Int32) -> Int {
        if state.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent).exchanged {
            requestedAt.store(max(DispatchTime.now().uptimeNanoseconds, 1), ordering: .sequentiallyConsistent)
        }
        return requests.add(1, ordering: .sequentiallyConsistent).newValue
    }

    /// The signal of the first request, or nil when none was made.
    public var signal: Int32? {
        let value = state.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// Whether a request was made more than `patience` seconds ago: the iteration in
    /// progress should then be abandoned.
    public var isOverdue: Bool {
        let since = requestedAt.load(ordering: .sequentiallyConsistent)
        guard since != 0 else { return false }
        return Double(DispatchTime.now().uptimeNanoseconds &- since) / 1e9 >= patience
    }

    /// Throws `StopInterruption` when the request is overdue (see `isOverdue`).
    package func checkOverdue() throws {
        if isOverdue { throw StopInterruption() }
    }

    /// The conventional name of a signal (`SIGINT`), or `signal N`.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}

/// Thrown from inside an evaluation when a `StopRequest` is overdue; `TransferEngine.run`
/// catches it, restores the image of the last finished iteration and reports a stop.
package struct StopInterruption: Error {}
