// ScratchPool: grow-only host buffers for the CPU ops' temporaries, so steady-state iterations allocate nothing.
import NSTCore
import Synchronization

/// Temporaries (column buffers, Winograd tiles, Gram differences) are borrowed from here
/// and handed back when the op ends. A buffer is reused by any later request it is big
/// enough for; its contents are undefined when borrowed (every user overwrites them).
final class ScratchPool: Sendable {
    private let free = Mutex<[CPUStorage]>([])

    /// Lends one buffer of at least `count` floats per entry of `counts` to `body`.
    /// - Throws: `DeviceError.outOfMemory` when a new buffer cannot be allocated.
    func with<R>(_ counts: [Int], _ body: ([UnsafeMutablePointer<Float>]) throws -> R) throws -> R {
        let borrowed = try take(counts)
        defer { giveBack(borrowed) }
        return try body(borrowed.map(\.pointer))
    }

    private func take(_ counts: [Int]) throws -> [CPUStorage] {
        try free.withLock { free in try Self.take(counts, from: &free) }
    }

    private static func take(_ counts: [Int], from free: inout [CPUStorage]) throws -> [CPUStorage] {
        var taken: [CPUStorage] = []
        for count in counts {
            // The smallest free buffer that fits keeps big ones for big requests.
            if let i = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
                taken.append(free.remove(at: i))
            } else if let storage = CPUStorage(count: count) {
                taken.append(storage)
            } else {
                free.append(contentsOf: taken)
                throw DeviceError.outOfMemory(bytes: count * MemoryLayout<Float>.stride, device: "cpu",
                                              hint: "try a smaller image")
            }
        }
        return taken
    }

    private func giveBack(_ storages: [CPUStorage]) {
        free.withLock { $0.append(contentsOf: storages) }
    }
}
