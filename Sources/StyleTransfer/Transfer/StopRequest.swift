// StopRequest: a request to end a run early (a signal), made from any thread and read by the optimisation loop.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by a signal handler (or any thread), read by `TransferEngine.run` between
/// iterations: the run then ends after the iteration in progress, and `TransferRunner`
/// writes the image and loss log reached so far.
public final class StopRequest: Sendable {
    private let state = Atomic<Int32>(0)
    private let requests = Atomic<Int>(0)

    /// A request not yet made.
    public init() {}

    /// Records a request for `signal` (a positive signal number). Returns how many requests
    /// there have been, this one included: 1 for the first, which asks for a clean stop.
    @discardableResult
    public func request(signal: Int32) -> Int {
        _ = state.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
        return requests.add(1, ordering: .sequentiallyConsistent).newValue
    }

    /// The signal of the first request, or nil when none was made.
    public var signal: Int32? {
        let value = state.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
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
