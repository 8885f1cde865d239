// WinogradFilterCache: the OpenCL backend's transformed Winograd filters kept between calls, dropped when their weight tensor is touched or freed.
import COpenCL

/// The network's weights do not change during a run, but each Winograd convolution and input
/// gradient would otherwise transform them again on every evaluation (an extra kernel and
/// `points * O * I` floats written per call). So each transform is kept in its own buffer,
/// keyed by the weight's storage, the direction (forward or adjoint) and the variant.
///
/// An entry is valid while its weight's storage is alive and no op has been handed its buffer
/// since the transform: `OpenCLDevice.buffer` counts every access (`OpenCLStorage.accesses`)
/// and the convolutions read weights through `weightStorage`, which does not. An upload, a
/// fill or a copy into a weight therefore forces a new transform; entries of freed weights
/// are dropped on the next insertion (the weak reference also keeps a recycled
/// `ObjectIdentifier` from matching). Like the device, used from one thread at a time.
final class WinogradFilterCache {
    private struct Key: Hashable {
        let source: ObjectIdentifier
        let flip: Bool
        let tile: OpenCLWinogradTile
    }

    /// One transformed filter, released with the entry. OpenCL keeps a released buffer alive
    /// until the queued commands that use it have finished, so dropping an entry is safe
    /// while its transform is still in flight.
    private final class Entry {
        weak var source: OpenCLStorage?
        let accesses: Int
        let buffer: cl_mem
        let count: Int

        init(source: OpenCLStorage, accesses: Int, buffer: cl_mem, count: Int) {
            self.source = source
            self.accesses = accesses
            self.buffer = buffer
            self.count = count
        }

        deinit { clReleaseMemObject(buffer) }
    }

    private var entries: [Key: Entry] = [:]
    /// Whether transforms are kept (off after `stopKeeping`: each call transforms into
    /// scratch memory, for runs whose memory budget cannot hold every layer's transforms).
    private(set) var isKeeping = true

    /// Stops keeping transforms and frees those kept.
    func stopKeeping() {
        isKeeping = false
        entries = [:]
    }

    /// The valid transform of `weight` for (`flip`, `tile`) of `count` floats, or nil.
    func lookup(_ weight: OpenCLStorage, flip: Bool, tile: OpenCLWinogradTile, count: Int) -> cl_mem? {
        guard let entry = entries[Key(source: ObjectIdentifier(weight), flip: flip, tile: tile)],
              entry.source === weight, entry.count == count,
              entry.accesses == weight.accesses.load(ordering: .acquiring) else { return nil }
        return entry.buffer
    }

    /// Keeps `buffer` (which the cache now owns) as the transform of `weight` as it is now.
    func insert(_ buffer: cl_mem, count: Int, for weight: OpenCLStorage, flip: Bool, tile: OpenCLWinogradTile) {
        entries = entries.filter { $0.value.source != nil }
        entries[Key(source: ObjectIdentifier(weight), flip: flip, tile: tile)] =
            Entry(source: weight, accesses: weight.accesses.load(ordering: .acquiring), buffer: buffer, count: count)
    }

    /// Floats held by the entries whose weights are still alive.
    var floats: Int {
        entries.values.filter { $0.source != nil }.reduce(0) { $0 + $1.count }
    }
}
