// OpenCLTuningTests: the tuning file (round trip, the stored JSON form, corrupt, foreign and invalid files ignored, the file over the shipped entries), the Xgemm candidate order, and tuned devices matching the CPU.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
@testable import NSTSelfTest
import XCTest

final class OpenCLTuningTests: XCTestCase {
    private func temporaryRoot() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nst-tuning-\(UUID().uuidString)", isDirectory: true)
    }

    /// A tuning that differs from every default: the first Xgemm candidate, a small WGS,
    /// and Winograd for every 3x3 convolution.
    private func sample(_ info: OpenCLDeviceInfo) throws -> OpenCLTuning {
        let xgemm = try XCTUnwrap(OpenCLTuner.xgemmCandidates(maxWorkGroup: info.maxWorkGroupSize).first)
        return OpenCLTuning(info: info, clblast: ["Xgemm": xgemm], workGroupSize: min(32, info.maxWorkGroupSize),
                            winogradMinChannels: 1, notes: ["gemmGflopsTuned": 12.5])
    }

    /// The JSON of `tuning` with `defines` and `host` entries added or replaced as a person
    /// editing the file would: values the typed value cannot hold, such as `GEMM_KERNELS` 2.
    private func json(_ tuning: OpenCLTuning, defines: [String: Int] = [:], host: [String: Int] = [:]) throws -> Data {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(tuning)) as? [String: Any])
        object["defines"] = (object["defines"] as? [String: Int] ?? [:]).merging(defines) { $1 }
        object["host"] = (object["host"] as? [String: Int] ?? [:]).merging(host) { $1 }
        return try JSONSerialization.data(withJSONObject: object)
    }

    func testRoundTripThroughTheFile() throws {
        let info = try OpenCLTestDevice.get().info
        let root = temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let tuning = try sample(info)
        let url = OpenCLTuning.url(in: root, for: info)
        try tuning.store(to: url)
        XCTAssertEqual(OpenCLTuning.load(from: url, for: info), tuning)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path),
                       [url.lastPathComponent], "no temporary file left behind")
        let device = try OpenCLDevice(info: info, tuning: .storedIn(root: root))
        XCTAssertEqual(device.tuning, tuning)
        XCTAssertEqual(device.tuningOrigin, .file(path: url.path), "the file wins over any shipped entry")
        XCTAssertEqual(device.context.workGroupSize, tuning.workGroupSize)
        XCTAssertTrue(device.context.buildOptions.contains("-DWGS=\(tuning.workGroupSize ?? 0)"),
                      "the tuned define is a build option, hence part of the program cache key")
        XCTAssertEqual(device.winogradMinChannels, 1)
    }

    func testCorruptForeignAndInvalidFilesAreIgnored() throws {
        let info = try OpenCLTestDevice.get().info
        let root = temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let url = OpenCLTuning.url(in: root, for: info)
        let good = try sample(info)
        var foreign = good
        foreign.driverVersion += "-other"
        var broken = good
        broken.clblast["Xgemm"]?["MWG"] = 24   // not a multiple of MDIMC * VWM
        var oddGroup = good
        oddGroup.workGroupSize = 48
        var missing = good
        missing.clblast["Xgemm"]?.removeValue(forKey: "SA")
        // gemm.cl settings out of their ranges: no float1 or float3, no empty tile, an
        // engine that does not exist, a group wider than the device allows; and keys the
        // file form does not know.
        let badGemm: [(String, [String: Int], [String: Int])] = [
            ("GEMM_VW 1", ["GEMM_VW": 1], [:]), ("GEMM_VW 3", ["GEMM_VW": 3], [:]), ("GEMM_TM 0", ["GEMM_TM": 0], [:]),
            ("GEMM_NT_TN 9", ["GEMM_NT_TN": 9], [:]), ("GEMM_KERNELS 2", [:], ["GEMM_KERNELS": 2]),
            ("GEMM_GROUP too wide", [:], ["GEMM_KERNELS": 1, "GEMM_GROUP": info.maxWorkGroupSize + 1]),
            ("GEMM_GROUP negative", [:], ["GEMM_KERNELS": 1, "GEMM_GROUP": -1]),
            ("WINOGRAD_MIN_CHANNELS 0", [:], ["WINOGRAD_MIN_CHANNELS": 0]),
            ("unknown define", ["TILE": 8], [:]), ("unknown host setting", [:], ["THREADS": 2]),
        ]
        let encoder = JSONEncoder()
        let full = try encoder.encode(good)
        let contents: [(String, Data)] = [
            ("garbage", Data(repeating: 0xAB, count: 300)), ("truncated", full.prefix(full.count / 2)),
            ("empty", Data()), ("foreign driver", try encoder.encode(foreign)), ("broken Xgemm", try encoder.encode(broken)),
            ("WGS 48", try encoder.encode(oddGroup)), ("missing parameter", try encoder.encode(missing)),
        ] + (try badGemm.map { label, defines, host in (label, try json(good, defines: defines, host: host)) })
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        for (label, data) in contents {
            try data.write(to: url)
            XCTAssertNil(OpenCLTuning.load(from: url, for: info), label)
            // Without shipped entries the file's absence means the defaults...
            let device = try OpenCLDevice(info: info, tuning: .storedIn(root: root, database: .empty))
            XCTAssertNil(device.tuning, label)
            XCTAssertEqual(device.tuningOrigin, .defaults, label)
            // ...and with them, whatever the database gives, never the refused file.
            let fallback = OpenCLDevice.tuning(for: info, source: .storedIn(root: root))
            XCTAssertEqual(fallback.tuning, OpenCLTuningDatabase.shipped.tuning(for: info.identity)?.tuning, label)
            XCTAssertNotEqual(fallback.origin, .file(path: url.path), label)
            XCTAssertEqual(device.context.workGroupSize, 64, label)
            let x = try device.makeTensor(Shape(2, 3, 3))
            try device.fill(x, with: -1)
            try device.relu(input: x, output: x)
            XCTAssertEqual(try device.download(x), [Float](repeating: 0, count: 18), label)
        }
        XCTAssertNil(OpenCLTuning.load(from: root.appendingPathComponent("absent.json"), for: info))
    }

    /// A device with every tuned parameter changed (WGS, Winograd on every 3x3 convolution,
    /// and either CLBlast with an Xgemm set or gemm.cl with odd tiles and a group width)
    /// still matches the naive reference (the op table's tolerances) and the CPU's weight gradients.
    func testTunedDeviceStillMatchesCPU() throws {
        let info = try OpenCLTestDevice.get().info
        var clblast = try sample(info), project = try sample(info)
        clblast.gemmEngine = .clblast
        project.gemmEngine = .projectKernels(group: 2)
        project.gemmTiles = OpenCLGemmTiles(rows: 5, vectors: 3, width: 4, ntRows: 2, ntColumns: 3)
        for (label, tuning) in [("tuned CLBlast", clblast), ("tuned gemm.cl", project)] {
            let tuned = try OpenCLDevice(info: info, tuning: .given(tuning))
            tuned.applyCLBlastTuning()
            XCTAssertEqual(tuned.tuning, tuning, label)
            XCTAssertEqual(tuned.usesProjectGemm, label == "tuned gemm.cl")
            // The op table's plain convolution and contraction cases, then the weight gradients.
            try OpTableTests.checkReference(OpTableBackend(name: label, plain: tuned, banded: tuned, winograd: tuned, winograd2x2: tuned)) {
                $0.path == .plain && $0.kind.family == .contraction
            }
            try OpenCLParityTests(name: "tuned", testClosure: { _ in }).checkWeightGradients(on: tuned, label: label)
            try OpenCLNetworkParityTests(name: "tuned", testClosure: { _ in }).checkStack(on: tuned)
        }
    }

    /// The gemm.cl search returns tiles and a group width that make a valid tuning and a
    /// finite time, even when its budget ends after the first candidate.
    func testProjectGemmSearchGivesAValidTuning() throws {
        let info = try OpenCLTestDevice.get().info
        let workload = OpenCLTuner.Workload([(GemmShape(m: 20, n: 70, k: 33, transA: false, transB: false), 3),
                                             (GemmShape(m: 9, n: 9, k: 300, transA: false, transB: true), 1)],
                                            proxyFlops: 1e6)
        let found = try OpenCLTuner().searchProjectGemm(info: info, workload: workload, budget: 0.001)
        XCTAssertTrue(found.seconds.isFinite && found.seconds > 0)
        XCTAssertEqual(found.tiles, .standard, "only the first candidate fits the budget")
        let tuning = OpenCLTuning(info: info, gemmEngine: .projectKernels(group: found.group), gemmTiles: found.tiles)
        XCTAssertNoThrow(try tuning.validate(for: info))
    }

    /// The search starts with both families (CPU-like register tiles without local memory,
    /// GPU-like 16x16 groups with it), every candidate is valid for the limit, none repeats,
    /// and a small device limit drops the groups it cannot run.
    func testXgemmCandidatesSpanCPUAndGPUShapesFirst() throws {
        let candidates = OpenCLTuner.xgemmCandidates(maxWorkGroup: 256)
        XCTAssertEqual(Set(candidates).count, candidates.count, "no candidate repeats")
        for candidate in candidates { XCTAssertNoThrow(try OpenCLTuning.checkXgemm(candidate, maxWorkGroup: 256)) }
        let first = Array(candidates.prefix(2))
        XCTAssertEqual(first.map { $0["MDIMC"] ?? 0 }, [8, 16])
        XCTAssertEqual(first.map { $0["SA"] ?? -1 }, [0, 1])
        let early = candidates.prefix(20)
        XCTAssertGreaterThanOrEqual(early.filter { $0["SA"] == 0 && ($0["MDIMC"] ?? 0) * ($0["NDIMC"] ?? 0) <= 128 }.count, 5,
                                    "small groups without local memory are screened early")
        XCTAssertGreaterThanOrEqual(early.filter { $0["SA"] == 1 && $0["MDIMC"] == 16 && $0["NDIMC"] == 16 }.count, 5,
                                    "16x16 groups with local memory are screened early")
        let small = OpenCLTuner.xgemmCandidates(maxWorkGroup: 64)
        XCTAssertFalse(small.isEmpty)
        XCTAssertTrue(small.allSatisfy { ($0["MDIMC"] ?? 0) * ($0["NDIMC"] ?? 0) <= 64 })
    }
}
