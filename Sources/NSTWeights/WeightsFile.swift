// WeightsFile: one front for every weights format (safetensors, PyTorch .pth, Caffe .caffemodel): keys, model and convention.
import Foundation
import NSTCore

/// A weights file of any supported format, opened once: which model it holds, which input
/// convention it states, and its tensors by the keys `VGGWeights.load` asks for.
public final class WeightsFile {
    /// The formats read.
    public enum Format: String, Sendable { case safetensors, pth, caffemodel }

    /// The path as given, for messages.
    public let path: String
    /// The format, from the extension or else the first bytes.
    public let format: Format
    /// The model the file holds (its convolutions are exactly VGG-19's or VGG-16's), or nil
    /// when that cannot be told.
    public let model: VGGModel?
    /// The input convention the file states: known file names, `.caffemodel` (Caffe), or a
    /// safetensors `__metadata__` entry `"preprocess"`; nil when the file says nothing (a
    /// `.pth` then defaults to torchvision).
    public let statedPreprocess: Preprocess?

    private enum Reader { case safetensors(SafeTensorsFile), pth(PthFile), caffe(CaffeModelFile) }
    private let reader: Reader

    /// Known published files and the convention each expects.
    public static let knownConventions: [String: Preprocess] = [
        "vgg19-dcbb9e9d.pth": .torchvision, "vgg16-397923af.pth": .torchvision,
        "vgg19-d01eb7cb.pth": .caffe, "vgg16-00b39a1b.pth": .caffe,
        "VGG_ILSVRC_19_layers.caffemodel": .caffe, "VGG_ILSVRC_16_layers.caffemodel": .caffe,
        "vgg_normalised.caffemodel": .caffe,
    ]

    /// Opens `url`, detecting the format.
    /// - Throws: `WeightsError` for an unreadable or malformed file.
    public init(url: URL) throws {
        path = url.path
        let name = url.lastPathComponent
        let format = try Self.detect(url)
        self.format = format
        var stated = Self.knownConventions[name]
        switch format {
        case .safetensors:
            let file = try SafeTensorsFile(url: url)
            reader = .safetensors(file)
            if stated == nil, let text = file.metadata["preprocess"] {
                guard let p = Preprocess(rawValue: text.lowercased()) else {
                    throw WeightsError(file: path, key: "__metadata__.preprocess", problem: "want caffe or torchvision, got '\(text)'")
                }
                stated = p
            }
            model = Self.modelFromKeys(file.keys) { try? file.entry($0).shape }
        case .pth:
            let file = try PthFile(url: url)
            reader = .pth(file)
            model = Self.modelFromKeys(file.keys) { file.shape(of: $0) }
        case .caffemodel:
            let file = try CaffeModelFile(url: url)
            reader = .caffe(file)
            stated = stated ?? .caffe
            model = VGGModel.all.first { m in
                let names = m.layers.compactMap { l -> String? in if case .conv = l.kind { return l.name }; return nil }
                return names == file.convolutionNames
            }
        }
        statedPreprocess = stated
    }

    /// The format of `url`: by extension (`.safetensors`, `.pth`/`.pt`/`.bin`, `.caffemodel`),
    /// else by content (zip or the legacy pickle header: pth; otherwise safetensors).
    static func detect(_ url: URL) throws -> Format {
        switch url.pathExtension.lowercased() {
        case "safetensors": return .safetensors
        case "pth", "pt", "bin", "ckpt": return .pth
        case "caffemodel": return .caffemodel
        default:
            let handle = try RegularFile.open(url)
            defer { try? handle.close() }
            let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
            if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x80, 0x02, 0x8A, 0x0A]) { return .pth }
            return .safetensors
        }
    }

    /// The model whose convolution indices are exactly the `features.N.weight` keys of
    /// rank 4 in `keys`.
    private static func modelFromKeys(_ keys: [String], shape: (String) -> [Int]?) -> VGGModel? {
        var indices: Set<Int> = []
        for key in keys where key.hasPrefix("features.") && key.hasSuffix(".weight") {
            let middle = key.dropFirst("features.".count).dropLast(".weight".count)
            if let n = Int(middle), shape(key)?.count == 4 { indices.insert(n) }
        }
        return VGGModel.all.first { Set($0.convIndices(depth: $0.layers.count)) == indices }
    }

    /// The key of a convolution's weight: `features.N.weight`, or `conv1_1.weight` in a caffemodel.
    func weightKey(_ layer: VGGLayer) -> String {
        if case .caffe = reader { return "\(layer.name).weight" }
        return "features.\(layer.index).weight"
    }

    /// The key of a convolution's bias.
    func biasKey(_ layer: VGGLayer) -> String {
        if case .caffe = reader { return "\(layer.name).bias" }
        return "features.\(layer.index).bias"
    }

    /// Reads tensor `key` as Float, checking its shape against `want` (`use` names the layer).
    public func floats(_ key: String, shape want: [Int], for use: String) throws -> [Float] {
        switch reader {
        case let .safetensors(file):
            return try file.floats(key, shape: want, for: use)
        case let .pth(file):
            guard let shape = file.shape(of: key) else { throw WeightsError(file: path, key: key, problem: "missing (needed by \(use))") }
            guard shape == want else { throw WeightsError(file: path, key: key, problem: "shape \(shape) does not fit \(use): want \(want)") }
            return try file.floats(key)
        case let .caffe(file):
            let layer = String(key.split(separator: ".")[0])
            let (shape, data) = try file.blob(layer: layer, index: key.hasSuffix(".weight") ? 0 : 1)
            guard shape == want else { throw WeightsError(file: path, key: key, problem: "shape \(shape) does not fit \(use): want \(want)") }
            return data
        }
    }

    /// A safetensors `__metadata__` normalisation override (`"mean"` or `"std"`, three
    /// comma-separated numbers), or nil.
    func normalisation(_ key: String) throws -> [Float]? {
        guard case let .safetensors(file) = reader, let text = file.metadata[key] else { return nil }
        let parts = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            .split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let values = parts as? [Float], values.allSatisfy({ $0.isFinite }) else {
            throw WeightsError(file: path, key: "__metadata__.\(key)", problem: "want three comma-separated numbers, got '\(text)'")
        }
        return values
    }
}
