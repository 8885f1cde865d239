// Parallel: spreads independent loop iterations over the cores when the work is big enough to pay for it.
import Dispatch
import Foundation

package enum Parallel {
    /// The number of cores the hot loops are spread over.
    package static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Runs `body(i)` for i in 0..<count, on several threads when `count * costPerItem`
    /// (a rough count of float operations) is large; iterations must be independent.
    package static func forEach(_ count: Int, costPerItem: Int = 1, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        let threads = coreCount
        let (work, overflow) = count.multipliedReportingOverflow(by: costPerItem)
        if threads <= 1 || count == 1 || (!overflow && work < 32_768) {
            for i in 0..<count { body(i) }
            return
        }
        // Chunks of contiguous indices keep cache lines apart between threads.
        let chunks = min(count, threads * 4)
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
                for i in start..<end { shared.body(i) }
            }
        }
    }

    /// The loop body, handed to the worker threads.
    // @unchecked: concurrentPerform returns only after every iteration, and `forEach`'s
    // contract is that iterations touch disjoint memory, so no state is shared unsynchronised.
    private struct SharedBody: @unchecked Sendable {
        let body: (Int) -> Void
    }

    /// Runs `body(range)` over consecutive ranges covering 0..<count, in parallel when
    /// `count` is large: for elementwise loops.
    package static func ranges(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunk = 1 << 15
        let pieces = (count + chunk - 1) / chunk
        forEach(pieces, costPerItem: chunk) { i in body((i * chunk)..<min(count, (i + 1) * chunk)) }
    }
}
