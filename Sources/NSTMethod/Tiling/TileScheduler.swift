// TileScheduler: hands tiles to workers as they become free and returns the results in tile order.
import Dispatch
import Synchronization
import NSTCore

/// Runs one piece of work per tile on a set of workers, one thread per worker, each taking
/// the next tile when it finishes the last. Results come back indexed by tile, so whatever
/// combines them does so in the grid's fixed order, whichever worker computed what.
package enum TileScheduler {
    /// `work(worker, tile)` for every tile; the first error stops the hand-out and is thrown.
    package static func run<R: Sendable>(_ tiles: [Tile], on workers: [TileWorker],
                                 _ work: @Sendable (TileWorker, Tile) throws -> R) throws -> [R] {
        guard workers.count > 1, tiles.count > 1 else {
            guard let worker = workers.first else { return [] }
            return try tiles.map { try work(worker, $0) }
        }
        let state = Mutex(State<R>(results: Array(repeating: nil, count: tiles.count)))
        DispatchQueue.concurrentPerform(iterations: workers.count) { w in
            while true {
                let next: Int? = state.withLock { s in
                    guard s.error == nil, s.next < tiles.count else { return nil }
                    s.next += 1
                    return s.next - 1
                }
                guard let index = next else { return }
                do {
                    let result = try work(workers[w], tiles[index])
                    state.withLock { $0.results[index] = result }
                } catch {
                    state.withLock { s in if s.error == nil { s.error = error } }
                    return
                }
            }
        }
        return try state.withLock { s in
            if let error = s.error { throw error }
            return s.results.compactMap { $0 }
        }
    }

    private struct State<R> {
        var results: [R?]
        var next = 0
        var error: (any Error)?
    }
}

/// Cutting rectangles out of CHW images held on the host, and adding them back.
package enum HostImage {
    /// The `rect` of every channel of a `[channels, size]` image, CHW.
    package static func crop(_ pixels: [Float], channels: Int, size: ImageSize, _ rect: PixelRect) -> [Float] {
        var out = [Float](repeating: 0, count: channels * rect.height * rect.width)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for r in 0..<rect.height {
                        let from = (c * size.height + rect.y + r) * size.width + rect.x
                        let to = (c * rect.height + r) * rect.width
                        for q in 0..<rect.width { dst[to + q] = src[from + q] }
                    }
                }
            }
        }
        return out
    }

    /// Adds a `[channels, rect]` block into `pixels` at `rect`.
    package static func add(_ block: [Float], into pixels: inout [Float], channels: Int, size: ImageSize, _ rect: PixelRect) {
        block.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for r in 0..<rect.height {
                        let to = (c * size.height + rect.y + r) * size.width + rect.x
                        let from = (c * rect.height + r) * rect.width
                        for q in 0..<rect.width { dst[to + q] += src[from + q] }
                    }
                }
            }
        }
    }
}
