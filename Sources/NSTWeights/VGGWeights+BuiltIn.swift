// VGGWeights+BuiltIn: the deterministic seeded random VGG-19 used when no weights file is given.
import NSTCore

extension VGGWeights {
    /// The seed of the built-in weights.
    public static let builtInSeed: UInt64 = 0x5747_4731_3920_1500   // "SWG19" + 2015, arbitrary but fixed

    /// A VGG-19 (or VGG-16) with seeded random weights, the same numbers on every machine and backend.
    ///
    /// Scheme: convolution `features.N` draws from its own `SplitMix64` stream seeded with
    /// `seed ^ (N << 32)` (so each layer can be made without the layers before it). Its
    /// weights, in row-major `[out, in, 3, 3]` order, are uniform in `[-b, b)` with
    /// `b = gain * sqrt(6 / (9 * in))` (`nextFloat(in: -b, b)`, 24-bit resolution), i.e.
    /// Kaiming-uniform: with `gain = 1`, variance `2 / fan_in` keeps activation magnitudes
    /// roughly constant through the ReLUs, so deep layers neither vanish nor explode.
    /// Biases are 0. Normalisation is torchvision's.
    ///
    /// Random convolutions still make useful style features: the Gram matrices of many
    /// random filters capture colour statistics and local texture (He, Wang, Hopcroft 2016;
    /// Ustyuzhaninov et al. 2017), which is what style transfer matches.
    ///
    /// VGG-16 uses the same scheme on its own layer indices. With `preprocess` caffe the
    /// normalisation is Caffe's and the first convolution is read as BGR (`make`).
    public static func builtIn(depth: Int, seed: UInt64 = builtInSeed, gain: Float = 1,
                               model: VGGModel = .vgg19, preprocess: Preprocess = .torchvision) -> VGGWeights {
        var convs: [Int: ConvWeights] = [:]
        for index in model.convIndices(depth: depth) {
            guard case let .conv(inC, outC) = model.layers[index].kind else { continue }
            var rng = SplitMix64(seed: seed ^ (UInt64(index) << 32))
            let bound = gain * (6 / Float(9 * inC)).squareRoot()
            var weight = [Float](repeating: 0, count: outC * inC * 9)
            for i in weight.indices { weight[i] = rng.nextFloat(in: -bound, bound) }
            convs[index] = ConvWeights(inChannels: inC, outChannels: outC, weight: weight,
                                       bias: [Float](repeating: 0, count: outC))
        }
        return make(source: "built-in", model: model, convs: convs, preprocess: preprocess)
    }
}
