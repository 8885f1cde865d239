// EngineCache: what the engines of one plan share across the items of a batch: the network on each device and the style targets per size.
import NSTCore
import NSTMethod
import NSTWeights

/// The parts of an engine that do not depend on the content image, kept across the items
/// of a batch run with one plan: each device's network (its weights uploaded once) and,
/// when the style images are the same for every item (no colour matching to the content),
/// the blended style targets per style size. A run of one item uses an empty cache, so a
/// batch item computes exactly what a single run computes, with the same ops.
final class EngineCache {
    private var networks: [ObjectIdentifier: VGGNetwork] = [:]
    private var targets: [Int: [Tensor]] = [:]
    /// Whether style targets may be reused: false when each item's styles differ.
    let sharesStyleTargets: Bool

    init(sharesStyleTargets: Bool) {
        self.sharesStyleTargets = sharesStyleTargets
    }

    /// `device`'s network, made on first use.
    func network(on device: any Device, weights: VGGWeights, pooling: PoolKind, depth: Int) throws -> VGGNetwork {
        if let network = networks[ObjectIdentifier(device)] { return network }
        let network = try VGGNetwork(device: device, weights: weights, pooling: pooling, depth: depth)
        networks[ObjectIdentifier(device)] = network
        return network
    }

    /// The style targets for styles of long side `side`, computed by `compute` on first use
    /// (every time when they are not shared).
    func styleTargets(side: Int, _ compute: () throws -> [Tensor]) throws -> [Tensor] {
        guard sharesStyleTargets else { return try compute() }
        if let cached = targets[side] { return cached }
        let computed = try compute()
        targets[side] = computed
        return computed
    }
}
