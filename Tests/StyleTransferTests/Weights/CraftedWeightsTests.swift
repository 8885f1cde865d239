// CraftedWeightsTests: weights files made to overflow sizes, nest without end or block (huge offsets and counts, 50,000 nested tuples, a FIFO) are refused in one line, in the library and through `nst`.
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

final class CraftedWeightsTests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 4)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("s.png"))
    }

    /// conv1_1 and conv1_2 as a state dict, with `change` applied to conv1_1's weight: the
    /// tensors `nst transfer` reads first, so a crafted number in them is used at once.
    private func tensors(_ change: (inout TorchTensor) -> Void = { _ in }) -> [TorchTensor] {
        var t = blockOneTensors().map { TorchTensor(key: $0.key, shape: $0.shape, values: $0.values) }
        change(&t[0])
        return t
    }

    private func transfer(_ weights: String) -> [String] {
        ["transfer", "--content", "c.png", "--style", "s.png", "--output", "out.png", "--size", "24", "--iterations", "1",
         "--content-layers", "relu1_2", "--style-layers", "relu1_1,relu1_2", "--device", "cpu", "--quiet", "--weights", weights]
    }

    /// `WeightsFile(url:)` on `name` throws a `WeightsError` naming the file and containing `needle`.
    private func assertRefused(_ name: String, _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WeightsFile(url: folder.appendingPathComponent(name)), file: file, line: line) { error in
            XCTAssertTrue(error is WeightsError, "\(type(of: error)): \(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(needle), "\(error)", file: file, line: line)
        }
    }

    /// Before: opening succeeded and reading conv1_1 trapped computing `offset + count`
    /// (integer overflow), in both containers.
    func testAnOffsetNear2To63IsRefusedWhenOpened() throws {
        let crafted = tensors { $0.offset = Int.max - 1000 }
        try writeZipPth(crafted, to: folder.appendingPathComponent("offset-zip.pth"))
        try Data(legacyPth(crafted)).write(to: folder.appendingPathComponent("offset-legacy.pth"))
        for name in ["offset-zip.pth", "offset-legacy.pth"] {
            assertRefused(name, "offset")
            try expectFailure(transfer(name), mentions: [name, "features.0.weight"])
        }
    }

    /// Before: a storage said to hold 2^62 floats passed every check and trapped computing
    /// its byte size (2^64) when read.
    func testAStorageOf2To62ElementsIsRefusedWhenOpened() throws {
        try writeZipPth(tensors { $0.storageCount = 1 << 62 }, to: folder.appendingPathComponent("count.pth"))
        assertRefused("count.pth", "4611686018427387904 elements")
        try expectFailure(transfer("count.pth"), mentions: ["count.pth", "features.0.weight"])
        // Shapes whose element count overflows are named too, not multiplied.
        try writeZipPth(tensors { $0.shape = [1 << 31, 1 << 31, 1 << 2, 1]; $0.withData = false }, to: folder.appendingPathComponent("shape.pth"))
        assertRefused("shape.pth", "more elements than any file holds")
    }

    /// Before: 50,000 nested one-element tuples (a 50 KB file) were read, and freeing them
    /// recursed once per level until the stack overflowed (SIGSEGV).
    func testDeeplyNestedPicklesAreRefusedAtTheDepthLimit() throws {
        let deep = nestedTuplePickle(depth: 50_000)
        try writeZipPth([], to: folder.appendingPathComponent("deep-zip.pth"), pickle: deep)
        try Data(legacyPth([], pickle: deep)).write(to: folder.appendingPathComponent("deep-legacy.pth"))
        for name in ["deep-zip.pth", "deep-legacy.pth"] {
            assertRefused(name, "more than \(PickleReader.maxDepth) deep")
            try expectFailure(transfer(name), mentions: [name, "deep"])
        }
        // Lists nested as deep (N empty lists, then N - 1 APPENDs) are refused alike.
        var lists = PickleBytes()
        lists.bytes += [UInt8](repeating: 0x5D, count: 1000) + [UInt8](repeating: 0x61, count: 999)
        lists.stop()
        try writeZipPth([], to: folder.appendingPathComponent("lists.pth"), pickle: lists.bytes)
        assertRefused("lists.pth", "deep")
        // The limit leaves room: one level fewer parses.
        var reader = PickleReader(bytes: nestedTuplePickle(depth: PickleReader.maxDepth - 1))
        XCTAssertNoThrow(try reader.read())
    }

    /// Before: a blob whose shape multiplies past Int.max and then by 0 saturated to 0 and
    /// matched an empty blob.
    func testCaffeBlobShapesAreMultipliedWithChecks() throws {
        XCTAssertThrowsError(try CaffeModelFile.parseBlob(caffeBlob(shape: [1 << 62, 4, 0], values: [], legacyShape: false, packed: true)))
        XCTAssertEqual(try CaffeModelFile.parseBlob(caffeBlob(shape: [2, 0], values: [], legacyShape: false, packed: true)).shape, [2, 0])
    }

    /// Before: indexing read 64 KiB for every layer, so a file of a million tiny layers took
    /// 34 s; now the reads are about one per 64 KiB of file, however many layers it has.
    func testManySmallCaffeLayersAreIndexedInOnePass() throws {
        var net = Proto()
        for i in 0..<20_000 {
            var layer = Proto()
            layer.string(1, "relu\(i)")
            layer.string(2, "ReLU")
            net.message(100, layer.bytes)
        }
        let conv = TorchTensor(key: "w", shape: [2, 3, 3, 3], values: (0..<54).map { Float($0) / 54 })
        let bias = TorchTensor(key: "b", shape: [2], values: [0.1, 0.2])
        let bytes = net.bytes + caffeModel(convs: [(name: "conv1_1", weight: conv, bias: bias)], v1: false)
        FileManager.default.createFile(atPath: path("many.caffemodel"), contents: Data(bytes))
        let model = try CaffeModelFile(url: URL(fileURLWithPath: path("many.caffemodel")))
        XCTAssertEqual(model.convolutionNames, ["conv1_1"])
        XCTAssertEqual(try model.blob(layer: "conv1_1", index: 0).data, conv.values)
        XCTAssertLessThanOrEqual(model.indexReads, bytes.count / 65536 + 3, "\(bytes.count) bytes")
    }

    /// Before: `nst activations --weights fifo.pth` blocked in open(2) for ever (and SIGTERM
    /// could not end it); `transfer` refused it only by its own path check.
    func testANamedPipeAsWeightsIsRefusedWithoutBlocking() throws {
        XCTAssertEqual(mkfifo(path("fifo.pth"), 0o600), 0)
        XCTAssertEqual(mkfifo(path("fifo"), 0o600), 0)
        for name in ["fifo.pth", "fifo"] {
            let result = try NSTShell.run("timeout -s KILL 20 \"$NST\" activations --image c.png --weights \(name) --output a.png; echo $?", in: folder)
            XCTAssertEqual(result.stdout, "1\n", result.stderr)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("/\(name)'") && result.stderr.contains("not a regular file"), result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a.png")))
    }
}
