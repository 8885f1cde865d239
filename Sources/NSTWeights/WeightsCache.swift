// WeightsCache: the known pretrained files, the cache folder they are fetched into, and resolving a weights argument that names one.
import Foundation
import NSTCore

/// A published weights file `nst weights fetch` knows.
public struct KnownWeights: Sendable, Equatable {
    /// The short name (`vgg19`, `vgg16-caffe`, ...).
    public let name: String
    /// The file name in the cache (the published one).
    public let fileName: String
    /// Where it is published, tried in this order under the same checksum (the current
    /// address first; an older one when it still answers).
    public let urls: [String]
    /// The leading hex digits of its SHA-256 that the publisher gives (torch hub names carry
    /// the first 8), or nil when none is published.
    public let sha256Prefix: String?
    /// The network and the input convention.
    public let model: VGGModel
    public let preprocess: Preprocess
    /// The published size in bytes, approximately (for `list`).
    public let approximateBytes: Int
    /// What it is, in a few words.
    public let about: String
    /// beta / alpha when a run with it gives no `--style-weight` (no preset), when its
    /// activations are scaled unlike the other files of its convention; nil: the convention's.
    public var styleToContent: Double? = nil

    /// The most bytes a download of it may take: its size and an eighth more, so a server
    /// that announces or sends far more is stopped before it fills the disk.
    public var maxBytes: Int64 { Int64(approximateBytes) + Int64(approximateBytes) / 8 }
}

/// The cache of downloaded weights: `$NST_CACHE_DIR/weights`, else `$XDG_CACHE_HOME/nst/weights`,
/// else `~/.cache/nst/weights` (the kernel cache's fallbacks).
public struct WeightsCache: Sendable {
    /// The folder, or nil when no home or cache folder is known.
    public let directory: URL?

    /// The known files (neural-style-pt's current address for the caffe conversions first, as
    /// its download_models.py gives it since the S3 bucket was abandoned in 2020; https for the
    /// VGG authors' caffemodels). torchvision's names carry the first 8 hex digits of the SHA-256
    /// (torch hub's convention), as do jcjohnson's caffe conversions used by neural-style-pt;
    /// the VGG authors publish no checksum for their caffemodels, so none is checked unless
    /// a hash is given.
    public static let known: [KnownWeights] = [
        KnownWeights(name: "vgg19", fileName: "vgg19-dcbb9e9d.pth", urls: ["https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"],
                     sha256Prefix: "dcbb9e9d", model: .vgg19, preprocess: .torchvision, approximateBytes: 574_673_361,
                     about: "torchvision VGG-19 (legacy .pth)"),
        KnownWeights(name: "vgg16", fileName: "vgg16-397923af.pth", urls: ["https://download.pytorch.org/models/vgg16-397923af.pth"],
                     sha256Prefix: "397923af", model: .vgg16, preprocess: .torchvision, approximateBytes: 553_433_881,
                     about: "torchvision VGG-16 (legacy .pth)"),
        KnownWeights(name: "vgg19-caffe", fileName: "vgg19-d01eb7cb.pth", urls: ["https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth",
                                                                            "https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg19-d01eb7cb.pth"],
                     sha256Prefix: "d01eb7cb", model: .vgg19, preprocess: .caffe, approximateBytes: 574_673_361,
                     about: "VGG authors' VGG-19 converted to .pth (neural-style-pt)"),
        KnownWeights(name: "vgg16-caffe", fileName: "vgg16-00b39a1b.pth", urls: ["https://web.eecs.umich.edu/~justincj/models/vgg16-00b39a1b.pth",
                                                                            "https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg16-00b39a1b.pth"],
                     sha256Prefix: "00b39a1b", model: .vgg16, preprocess: .caffe, approximateBytes: 553_433_881,
                     about: "VGG authors' VGG-16 converted to .pth (neural-style-pt)"),
        KnownWeights(name: "vgg19-caffemodel", fileName: "VGG_ILSVRC_19_layers.caffemodel",
                     urls: ["https://www.robots.ox.ac.uk/~vgg/software/very_deep/caffe/VGG_ILSVRC_19_layers.caffemodel"],
                     sha256Prefix: nil, model: .vgg19, preprocess: .caffe, approximateBytes: 574_671_192,
                     about: "VGG authors' Caffe VGG-19 (neural-style)"),
        KnownWeights(name: "vgg16-caffemodel", fileName: "VGG_ILSVRC_16_layers.caffemodel",
                     urls: ["https://www.robots.ox.ac.uk/~vgg/software/very_deep/caffe/VGG_ILSVRC_16_layers.caffemodel"],
                     sha256Prefix: nil, model: .vgg16, preprocess: .caffe, approximateBytes: 553_432_081,
                     about: "VGG authors' Caffe VGG-16 (neural-style)"),
        // Gatys et al.'s own network: the Caffe VGG-19's convolutions rescaled so that each
        // filter's mean activation over ImageNet is 1 (convolutions only, about 80 MB).
        KnownWeights(name: "vgg19-normalised", fileName: "vgg_normalised.caffemodel",
                     urls: ["https://bethgelab.org/media/uploads/deeptextures/vgg_normalised.caffemodel"],
                     sha256Prefix: nil, model: .vgg19, preprocess: .caffe, approximateBytes: 80_100_000,
                     about: "Gatys et al.'s normalised VGG-19 (Caffe)", styleToContent: 0.33),
    ]

    public init(directory: URL?) { self.directory = directory }

    /// The cache at the documented location for `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base: URL?
        if let dir = environment["NST_CACHE_DIR"], !dir.isEmpty {
            base = URL(fileURLWithPath: dir, isDirectory: true)
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("nst", isDirectory: true)
        } else if let home = environment["HOME"], !home.isEmpty {
            base = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/nst", isDirectory: true)
        } else {
            base = nil
        }
        directory = base?.appendingPathComponent("weights", isDirectory: true)
    }

    /// The known file called `name` (short name or file name).
    public static func knownFile(_ name: String) -> KnownWeights? {
        known.first { $0.name == name || $0.fileName == name }
    }

    /// Why `name` cannot be the name of a file in the cache, or nil. It must be one plain
    /// file name: not empty, no `/`, not hidden (so neither `.` nor `..`, which name the
    /// cache folder and its parent), not ending in `.part` (the partial downloads), and at
    /// most 250 bytes, so that `NAME.part` fits the 255 a file name may have.
    public static func fileNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty; want a file name" }
        if name.contains("/") { return "must be a file name, not a path (no '/')" }
        if name.hasPrefix(".") { return "must not start with '.' (hidden files, '.' and '..' are refused)" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.hasSuffix(".part") { return "must not end in '.part' (the cache's partial downloads)" }
        if name.utf8.count > 250 { return "is \(name.utf8.count) bytes long; at most 250 (NAME.part must fit 255)" }
        return nil
    }

    /// The cache path of file `fileName` (whether or not it is there).
    public func path(of fileName: String) -> URL? { directory?.appendingPathComponent(fileName) }

    /// The complete files in the cache with their sizes, sorted by name (partial downloads,
    /// `*.part`, excluded).
    public func files() -> [(name: String, bytes: Int)] {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { !$0.hasSuffix(".part") && !$0.hasPrefix(".") }.sorted().map { name in
            let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            return (name, size)
        }
    }

    /// A weights argument: an existing file is used as it is; otherwise a known short name, a
    /// known file name or the name of a file fetched under a name of its own is looked up in the
    /// cache. Anything else is returned unchanged (the path check then reports it).
    public func resolve(_ argument: String) -> String {
        if FileManager.default.fileExists(atPath: argument) { return argument }
        guard !argument.contains("/"), let directory else { return argument }
        let fileName = Self.knownFile(argument)?.fileName ?? argument
        let candidate = directory.appendingPathComponent(fileName).path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : argument
    }
}
