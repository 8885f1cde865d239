// OpenCLTuningFileTests: tuning files in the stored string-keyed JSON form load into the typed value, and the typed value round-trips.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class OpenCLTuningFileTests: XCTestCase {
    /// A tuning file as `nst tune` wrote it before the typed value (pretty-printed, sorted
    /// keys), for `info`'s device, with `clblast`, `defines` and `host` as given.
    private func storedFile(_ info: OpenCLDeviceInfo, clblast: String = "{}", defines: String, host: String) throws -> Data {
        func quoted(_ text: String) throws -> String { String(decoding: try JSONEncoder().encode(text), as: UTF8.self) }
        return Data("""
            {
              "clblast" : \(clblast),
              "defines" : \(defines),
              "deviceName" : \(try quoted(info.name)),
              "driverVersion" : \(try quoted(info.driverVersion)),
              "format" : 1,
              "host" : \(host),
              "notes" : {
                "gemmGflopsDefault" : 11.6,
                "size" : 256
              },
              "platformVersion" : \(try quoted(info.platformVersion))
            }
            """.utf8)
    }

    private func load(_ data: Data, _ info: OpenCLDeviceInfo) throws -> OpenCLTuning? {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nst-tuning-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = OpenCLTuning.url(in: root, for: info)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return OpenCLTuning.load(from: url, for: info)
    }

    /// The three forms stored files take: gemm.cl chosen (tiles, group), CLBlast chosen (an
    /// Xgemm set), and a hand-written file with only some settings.
    func testStoredJSONFormLoadsIntoTheTypedValue() throws {
        let info = try OpenCLTestDevice.get().info
        let project = try XCTUnwrap(try load(storedFile(info, defines: """
            { "GEMM_NT_TM" : 2, "GEMM_NT_TN" : 4, "GEMM_TM" : 4, "GEMM_TN" : 2, "GEMM_VW" : 8, "WGS" : 16 }
            """, host: """
            { "GEMM_GROUP" : 4, "GEMM_KERNELS" : 1, "WINOGRAD_MIN_CHANNELS" : 64 }
            """), info))
        XCTAssertEqual(project.workGroupSize, 16)
        XCTAssertEqual(project.gemmEngine, .projectKernels(group: 4))
        XCTAssertEqual(project.gemmTiles, OpenCLGemmTiles(rows: 4, vectors: 2, width: 8, ntRows: 2, ntColumns: 4))
        XCTAssertEqual(project.winogradMinChannels, 64)
        XCTAssertEqual(project.winogradTile, .f2x2, "files from before F(4x4) mean F(2x2)")
        XCTAssertEqual(project.clblast, [:])
        XCTAssertEqual(project.notes, ["gemmGflopsDefault": 11.6, "size": 256])

        let xgemm = try XCTUnwrap(OpenCLTuner.xgemmCandidates(maxWorkGroup: info.maxWorkGroupSize).first)
        let xgemmJSON = String(decoding: try JSONEncoder().encode(xgemm), as: UTF8.self)
        let clblast = try XCTUnwrap(try load(storedFile(info, clblast: "{ \"Xgemm\" : \(xgemmJSON) }", defines: """
            { "WGS" : 64 }
            """, host: """
            { "GEMM_KERNELS" : 0, "WINOGRAD_MIN_CHANNELS" : 1048576 }
            """), info))
        XCTAssertEqual(clblast.gemmEngine, .clblast)
        XCTAssertNil(clblast.gemmTiles)
        XCTAssertEqual(clblast.clblast, ["Xgemm": xgemm])
        XCTAssertEqual(clblast.winogradMinChannels, OpenCLDevice.winogradOff)

        let partial = try XCTUnwrap(try load(storedFile(info, defines: "{ \"GEMM_TM\" : 4 }", host: "{}"), info))
        XCTAssertNil(partial.gemmEngine, "no GEMM_KERNELS: the kind of device decides")
        XCTAssertNil(partial.workGroupSize)
        XCTAssertEqual(partial.gemmTiles, OpenCLGemmTiles(rows: 4, vectors: 2, width: 8, ntRows: 3, ntColumns: 4),
                       "missing tile defines are the standard ones")
        XCTAssertEqual(partial.winogradMinChannels, OpenCLDevice.winogradOff)
        let device = try OpenCLDevice(info: info, tuning: .given(partial))
        XCTAssertEqual(device.gemmEngine, .untuned(for: info))
        XCTAssertEqual(device.gemmTiles.rows, 4)
    }

    /// Every shape of the typed value survives encoding and decoding, and encodes to the
    /// keys stored files use.
    func testTypedValueRoundTrips() throws {
        let info = try OpenCLTestDevice.get().info
        let xgemm = try XCTUnwrap(OpenCLTuner.xgemmCandidates(maxWorkGroup: info.maxWorkGroupSize).first)
        let tiles = OpenCLGemmTiles(rows: 5, vectors: 3, width: 4, ntRows: 2, ntColumns: 3)
        let variants = [
            OpenCLTuning(info: info),
            OpenCLTuning(info: info, clblast: ["Xgemm": xgemm], workGroupSize: 32, gemmEngine: .clblast,
                         winogradMinChannels: 128, notes: ["size": 512]),
            OpenCLTuning(info: info, workGroupSize: 16, gemmEngine: .projectKernels(group: 4), gemmTiles: tiles,
                         winogradMinChannels: 16),
            OpenCLTuning(info: info, gemmEngine: .projectKernels(group: 0)),
            OpenCLTuning(info: info, gemmTiles: tiles),
            OpenCLTuning(info: info, winogradMinChannels: 64, winogradTile: .f4x4),
        ]
        for tuning in variants {
            let data = try JSONEncoder().encode(tuning)
            XCTAssertEqual(try JSONDecoder().decode(OpenCLTuning.self, from: data), tuning, "\(tuning)")
            XCTAssertEqual(try load(data, info), tuning, "\(tuning)")
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(variants[2])) as? [String: Any])
        XCTAssertEqual(object["host"] as? [String: Int], ["GEMM_KERNELS": 1, "GEMM_GROUP": 4, "WINOGRAD_MIN_CHANNELS": 16])
        XCTAssertEqual(object["defines"] as? [String: Int],
                       ["WGS": 16, "GEMM_TM": 5, "GEMM_TN": 3, "GEMM_VW": 4, "GEMM_NT_TM": 2, "GEMM_NT_TN": 3])
        XCTAssertEqual(Set(object.keys),
                       ["format", "deviceName", "driverVersion", "platformVersion", "clblast", "defines", "host", "notes"])
    }

    /// `WINOGRAD_TILE`: 4 is stored and read back as F(4x4) and reaches the device; F(2x2)
    /// is left out of the file (so builds from before F(4x4) still read it); any other value
    /// makes the file invalid, so the defaults are used.
    func testWinogradTileRoundTripsAndIsValidated() throws {
        let info = try OpenCLTestDevice.get().info
        let four = OpenCLTuning(info: info, winogradMinChannels: 64, winogradTile: .f4x4)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(four)) as? [String: Any])
        XCTAssertEqual(object["host"] as? [String: Int], ["WINOGRAD_MIN_CHANNELS": 64, "WINOGRAD_TILE": 4])
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nst-tuning-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try four.store(to: OpenCLTuning.url(in: root, for: info))
        let device = try OpenCLDevice(info: info, tuning: .storedIn(root: root))
        XCTAssertEqual(device.tuning, four)
        XCTAssertEqual(device.winogradTile, .f4x4)

        let two = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(OpenCLTuning(info: info, winogradMinChannels: 64)))
                                as? [String: Any])
        XCTAssertEqual(two["host"] as? [String: Int], ["WINOGRAD_MIN_CHANNELS": 64])
        XCTAssertEqual(try load(storedFile(info, defines: "{}", host: "{ \"WINOGRAD_MIN_CHANNELS\" : 64, \"WINOGRAD_TILE\" : 2 }"), info)?
                        .winogradTile, .f2x2)
        for bad in ["3", "0", "6", "-4"] {
            XCTAssertNil(try load(storedFile(info, defines: "{}", host: "{ \"WINOGRAD_TILE\" : \(bad) }"), info), bad)
        }
        XCTAssertEqual(try OpenCLDevice(info: info, tuning: .none).winogradTile, .f2x2, "untuned: F(2x2), and Winograd off")
    }
}
