// OpenCLTuning+JSON: the tuning file's string-keyed JSON form (the format existing cache files use) mapped to the typed value.
import NSTCore

/// The names the tuning file gives the typed settings: `defines` holds `WGS` and the gemm.cl
/// tiles (`GEMM_TM`, ...; see `OpenCLGemmTiles.defines`), `host` holds the rest. Kept as
/// they were when the file held plain dictionaries, so that stored files still load.
enum OpenCLTuningKey {
    static let workGroupSize = "WGS"
    static let winogradMinChannels = "WINOGRAD_MIN_CHANNELS"
    /// The Winograd variant's output tile, 2 or 4 (`OpenCLWinogradTile`); absent: 2.
    static let winogradTile = "WINOGRAD_TILE"
    /// 1: `OpenCLGemmEngine.projectKernels`, 0: `.clblast`; absent: the device kind decides.
    static let gemmKernels = "GEMM_KERNELS"
    /// The `group` of `.projectKernels`.
    static let gemmGroup = "GEMM_GROUP"
}

extension OpenCLTuning: Codable {
    private enum CodingKeys: String, CodingKey {
        case format, deviceName, driverVersion, platformVersion, clblast, defines, host, notes
    }

    /// Reads the file form. Every key must be present, as before the typed value. A key the
    /// form does not know, a `WINOGRAD_TILE` other than 2 and 4, or a `GEMM_KERNELS` other
    /// than 0 and 1, fails decoding (so the
    /// file is ignored); ranges that depend on the device are left to `validate(for:)`.
    /// `GEMM_GROUP` only means something with `GEMM_KERNELS` 1 and is dropped otherwise.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(Int.self, forKey: .format)
        deviceName = try c.decode(String.self, forKey: .deviceName)
        driverVersion = try c.decode(String.self, forKey: .driverVersion)
        platformVersion = try c.decode(String.self, forKey: .platformVersion)
        clblast = try c.decode([String: [String: Int]].self, forKey: .clblast)
        notes = try c.decode([String: Double].self, forKey: .notes)
        var defines = try c.decode([String: Int].self, forKey: .defines)
        workGroupSize = defines.removeValue(forKey: OpenCLTuningKey.workGroupSize)
        if let unknown = defines.keys.sorted().first(where: { OpenCLGemmTiles.limits[$0] == nil }) {
            throw DecodingError.dataCorruptedError(forKey: .defines, in: c, debugDescription: "unknown kernel define \(unknown)")
        }
        gemmTiles = defines.isEmpty ? nil : OpenCLGemmTiles(defines: defines)
        var host = try c.decode([String: Int].self, forKey: .host)
        winogradMinChannels = host.removeValue(forKey: OpenCLTuningKey.winogradMinChannels) ?? OpenCLDevice.winogradOff
        switch host.removeValue(forKey: OpenCLTuningKey.winogradTile) {
        case nil: winogradTile = .f2x2
        case let side?:
            guard let tile = OpenCLWinogradTile(rawValue: side) else {
                throw DecodingError.dataCorruptedError(forKey: .host, in: c,
                                                       debugDescription: "\(OpenCLTuningKey.winogradTile) = \(side) must be 2 or 4")
            }
            winogradTile = tile
        }
        let kernels = host.removeValue(forKey: OpenCLTuningKey.gemmKernels)
        let group = host.removeValue(forKey: OpenCLTuningKey.gemmGroup)
        if let unknown = host.keys.sorted().first {
            throw DecodingError.dataCorruptedError(forKey: .host, in: c, debugDescription: "unknown host setting \(unknown)")
        }
        switch kernels {
        case nil: gemmEngine = nil
        case 0?: gemmEngine = .clblast
        case 1?: gemmEngine = .projectKernels(group: group ?? 0)
        case let other?:
            throw DecodingError.dataCorruptedError(forKey: .host, in: c,
                                                   debugDescription: "\(OpenCLTuningKey.gemmKernels) = \(other) must be 0 or 1")
        }
    }

    /// Writes the file form: every key, `defines` and `host` holding only the settings that are set.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(deviceName, forKey: .deviceName)
        try c.encode(driverVersion, forKey: .driverVersion)
        try c.encode(platformVersion, forKey: .platformVersion)
        try c.encode(clblast, forKey: .clblast)
        var defines = gemmTiles?.defines ?? [:]
        if let workGroupSize { defines[OpenCLTuningKey.workGroupSize] = workGroupSize }
        try c.encode(defines, forKey: .defines)
        var host = [OpenCLTuningKey.winogradMinChannels: winogradMinChannels]
        // F(2x2) is what a file without the key means: left out, so builds from before
        // F(4x4) (which refuse unknown keys) still read files that do not use it.
        if winogradTile != .f2x2 { host[OpenCLTuningKey.winogradTile] = winogradTile.rawValue }
        switch gemmEngine {
        case nil: break
        case .clblast: host[OpenCLTuningKey.gemmKernels] = 0
        case .projectKernels(let group):
            host[OpenCLTuningKey.gemmKernels] = 1
            host[OpenCLTuningKey.gemmGroup] = group
        }
        try c.encode(host, forKey: .host)
        try c.encode(notes, forKey: .notes)
    }
}
