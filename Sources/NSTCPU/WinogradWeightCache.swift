// WinogradWeightCache: transformed Winograd weights kept between calls, dropped when their weight tensor is touched or freed.
import NSTCore
import Synchronization

/// The network's weights do not change during a run, but each convolution and input
/// gradient would otherwise transform them again on every evaluation, which is about as
/// much work as the transforms of the activations at 256x256. So each transformed weight
/// is kept, keyed by the weight's storage and the direction (forward or adjoint).
///
/// An entry is valid while its source storage is alive and has not been handed to any op
/// since the transform: `CPUDevice.ptr` counts every access (`CPUStorage.accesses`), and
/// the convolutions read their weights through `weightPointer`, which does not. Any other
/// op on a weight tensor (an upload, a fill, a copy into it) therefore forces a new
/// transform, and freed weights drop their entries on the next insertion.
final class WinogradWeightCache: Sendable {
    private struct Key: Hashable {
        let source: ObjectIdentifier
        let flip: Bool
    }

    /// One transformed weight and what it was made from.
    // @unchecked: `source` is a weak reference read and written only under `entries`' lock;
    // `values` is written once, before the entry is published.
    private final class Entry: @unchecked Sendable {
        weak var source: CPUStorage?
        let accesses: Int
        let values: CPUStorage

        init(source: CPUStorage, accesses: Int, values: CPUStorage) {
            self.source = source
            self.accesses = accesses
            self.values = values
        }
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// Whether transforms are kept (off: each call transforms into a buffer freed after it,
    /// for runs whose memory budget cannot hold every layer's transforms).
    private let keeping = Atomic<Bool>(true)

    /// Whether transformed weights are kept between calls.
    var isKeeping: Bool { keeping.load(ordering: .relaxed) }

    /// Stops keeping transforms and frees those kept.
    func stopKeeping() {
        keeping.store(false, ordering: .relaxed)
        entries.withLock { $0 = [:] }
    }

    /// The transformed weights of `weight` in direction `flip` (`count` floats), made by
    /// `fill` when no valid entry exists. The returned storage stays alive while the caller holds it.
    /// - Throws: `DeviceError.outOfMemory` when the buffer cannot be allocated.
    func transformed(_ weight: CPUStorage, flip: Bool, count: Int,
                     fill: (UnsafeMutablePointer<Float>) -> Void) throws -> CPUStorage {
        guard isKeeping else {
            guard let values = CPUStorage(count: count, zeroed: false) else {
                throw DeviceError.outOfMemory(bytes: count * MemoryLayout<Float>.stride, device: "cpu", hint: "try a smaller image")
            }
            fill(values.pointer)
            return values
        }
        let key = Key(source: ObjectIdentifier(weight), flip: flip)
        let accesses = weight.accesses.load(ordering: .acquiring)
        let cached: CPUStorage? = entries.withLock { entries in
            guard let entry = entries[key], entry.source === weight, entry.accesses == accesses,
                  entry.values.count == count else { return nil }
            return entry.values
        }
        if let cached { return cached }
        guard let values = CPUStorage(count: count, zeroed: false) else {
            throw DeviceError.outOfMemory(bytes: count * MemoryLayout<Float>.stride, device: "cpu", hint: "try a smaller image")
        }
        fill(values.pointer)
        let entry = Entry(source: weight, accesses: accesses, values: values)
        entries.withLock { entries in
            entries = entries.filter { $0.value.source != nil }
            entries[key] = entry
        }
        return values
    }

    /// Floats held by the entries whose weights are still alive.
    var floats: Int {
        entries.withLock { $0.values.filter { $0.source != nil }.reduce(0) { $0 + $1.values.count } }
    }
}
