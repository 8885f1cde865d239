// SafeTensorsTests: the safetensors reader and VGG weight loading on files the tests write, good and broken.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class SafeTensorsTests: ScratchFolderTestCase {
    private func write(_ data: Data, _ name: String = "w.safetensors") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Loads block 1 from `data` and returns the error's text (fails when nothing is thrown).
    private func loadError(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let url = try write(data)
        do {
            _ = try VGGWeights.load(from: url, depth: 4)
            XCTFail("no error", file: file, line: line)
            return ""
        } catch let error as WeightsError {
            XCTAssertEqual(error.file, url.path, file: file, line: line)
            return "\(error)"
        }
    }

    func testReadsFloat32ExactlyAndIgnoresUnusedKeys() throws {
        var tensors = blockOneTensors()
        tensors.append(TestTensor(key: "classifier.0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        tensors.append(TestTensor(key: "features.5.weight", shape: [7], values: Array(repeating: 0, count: 7)))   // deeper, wrong shape, unused
        let url = try write(safetensorsData(tensors))
        let weights = try VGGWeights.load(from: url, depth: 4)
        XCTAssertEqual(weights.convs.keys.sorted(), [0, 2])
        XCTAssertEqual(weights.convs[0]?.weight, tensors[0].values)
        XCTAssertEqual(weights.convs[0]?.bias, tensors[1].values)
        XCTAssertEqual(weights.convs[2]?.weight, tensors[2].values)
        XCTAssertEqual(weights.mean, VGGWeights.torchvisionMean)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(try file.floats("classifier.0.weight"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try file.entry("classifier.0.weight").shape, [2, 3])
    }

    func testReadsFloat16() throws {
        let tensors = blockOneTensors(dtype: "F16")
        let weights = try VGGWeights.load(from: write(safetensorsData(tensors)), depth: 4)
        let expected = tensors[2].values.map { Half.toFloat(Half.fromFloat($0)) }
        XCTAssertEqual(weights.convs[2]?.weight, expected)
        assertClose(weights.convs[2]!.weight, tensors[2].values, abs: 1e-3, rel: 1e-3, "float16 rounding")
        // Special values and subnormals convert exactly.
        XCTAssertEqual(Half.toFloat(0x3C00), 1)
        XCTAssertEqual(Half.toFloat(0xC000), -2)
        XCTAssertEqual(Half.toFloat(0x0001), 0x1p-24)
        XCTAssertEqual(Half.toFloat(0x7BFF), 65504)
        XCTAssertEqual(Half.toFloat(0x7C00), .infinity)
        XCTAssertTrue(Half.toFloat(0x7E00).isNaN)
    }

    func testMetadataOverridesNormalisation() throws {
        let url = try write(safetensorsData(blockOneTensors(), metadata: ["mean": "0.5,0.5,0.5", "std": "[0.25, 0.25, 0.5]"]))
        let weights = try VGGWeights.load(from: url, depth: 4)
        XCTAssertEqual(weights.mean, [0.5, 0.5, 0.5])
        XCTAssertEqual(weights.std, [0.25, 0.25, 0.5])
        let bad = try loadError(safetensorsData(blockOneTensors(), metadata: ["std": "1,2"]))
        XCTAssertTrue(bad.contains("__metadata__.std"), bad)
    }

    func testTruncatedFile() throws {
        let data = safetensorsData(blockOneTensors())
        let message = try loadError(data.prefix(data.count - 100))
        XCTAssertTrue(message.contains("'features.2.bias'") && message.contains("truncated"), message)
    }

    func testShorterThanTheLengthField() throws {
        let message = try loadError(Data([1, 2, 3]))
        XCTAssertTrue(message.contains("not a safetensors file"), message)
    }

    func testHeaderLengthBeyondTheFile() throws {
        let message = try loadError(safetensorsData(blockOneTensors(), headerLength: 1 << 40))
        XCTAssertTrue(message.contains("header length 1099511627776"), message)
    }

    func testHeaderThatIsNotJSON() throws {
        let message = try loadError(safetensorsData(blockOneTensors(), mutateHeader: { "[" + $0.dropFirst() }))
        XCTAssertTrue(message.contains("not a JSON object"), message)
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 0, count: 64)
        XCTAssertTrue(try loadError(png).contains("not a safetensors file"))
    }

    /// Duplicate keys, which the format forbids and JSON parsers resolve silently: a tensor
    /// described twice, a field twice inside one entry, and a key spelt with an escape.
    func testDuplicateKeysAreRefused() throws {
        let twice = try loadError(safetensorsData(blockOneTensors(), mutateHeader: { header in
            "{\"features.0.bias\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]}," + header.dropFirst()
        }))
        XCTAssertTrue(twice.contains("'features.0.bias' twice"), twice)
        let field = try loadError(safetensorsData(blockOneTensors(), mutateHeader: { header in
            header.replacingOccurrences(of: "\"dtype\":\"F32\"", with: "\"dtype\":\"F32\",\"dtype\":\"F16\"")
        }))
        XCTAssertTrue(field.contains("'dtype' twice"), field)
        let escaped = try loadError(safetensorsData(blockOneTensors(), mutateHeader: { header in
            "{\"features.0.bi\\u0061s\":{\"dtype\":\"F32\",\"shape\":[64],\"data_offsets\":[0,256]}," + header.dropFirst()
        }))
        XCTAssertTrue(escaped.contains("'features.0.bias' twice"), escaped)
        // Equal keys in different objects are fine.
        XCTAssertNil(JSONDuplicateKeys.first(in: Array(#"{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}"#.utf8)))
        XCTAssertEqual(JSONDuplicateKeys.first(in: Array(#"{"a":{"x":1,"y":"x","x":2}}"#.utf8)), "x")
        // 100,000 keys, the last one repeated. Before, each key copied the set of those before
        // it (minutes at this size; 11 s at 40,000); a linear scan takes well under a second
        // even in a debug build, so 20 s only guards the order of growth.
        let many = "{" + (0..<100_000).map { "\"k\($0)\":0" }.joined(separator: ",") + ",\"k99999\":1}"
        let start = Date()
        XCTAssertEqual(JSONDuplicateKeys.first(in: Array(many.utf8)), "k99999")
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }

    func testUnsupportedDType() throws {
        var tensors = blockOneTensors()
        tensors[1].dtype = "BF16"
        let message = try loadError(safetensorsData(tensors))
        XCTAssertTrue(message.contains("'features.0.bias'") && message.contains("BF16"), message)
    }

    func testWrongShapeNamesTheLayer() throws {
        var tensors = blockOneTensors()
        tensors[2].shape = [64, 64, 9]
        let message = try loadError(safetensorsData(tensors))
        XCTAssertTrue(message.contains("'features.2.weight': shape [64, 64, 9] does not fit conv1_2 of VGG-19: want [64, 64, 3, 3]"), message)
        var transposed = blockOneTensors()
        transposed[0].shape = [3, 64, 3, 3]
        XCTAssertTrue(try loadError(safetensorsData(transposed)).contains("features.0.weight"))
    }

    func testOffsetsOutsideTheDataOrInconsistentWithTheShape() throws {
        var outside = blockOneTensors()
        outside[3].offsets = [0, 1 << 30]
        let message = try loadError(safetensorsData(outside))
        XCTAssertTrue(message.contains("'features.2.bias'") && message.contains("outside the data section"), message)
        var short = blockOneTensors()
        short[1].offsets = [0, 8]
        let message2 = try loadError(safetensorsData(short))
        XCTAssertTrue(message2.contains("'features.0.bias'") && message2.contains("needs 256"), message2)
    }

    /// A shape whose element count fits Int but whose byte count does not is an error, not a trap.
    func testShapeWhoseByteCountOverflows() throws {
        var huge = blockOneTensors()
        huge[0].shape = [3_000_000_000, 3_000_000_000]
        let message = try loadError(safetensorsData(huge))
        XCTAssertTrue(message.contains("'features.0.weight'") && message.contains("needs too many"), message)
    }

    func testMissingLayer() throws {
        let tensors = blockOneTensors().filter { $0.key != "features.2.bias" }
        XCTAssertTrue(try loadError(safetensorsData(tensors)).hasSuffix("key 'features.2.bias': missing"))
    }

    func testMissingAndUnreadableFiles() throws {
        let missing = folder.appendingPathComponent("nope.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(url: missing)) { error in
            XCTAssertEqual("\(error)", "weights file '\(missing.path)': no such file")
        }
        XCTAssertThrowsError(try SafeTensorsFile(url: folder)) { error in
            XCTAssertTrue("\(error)".contains(self.folder.path), "\(error)")
        }
    }

    func testBuiltInWeightsAreDeterministicAndKaimingScaled() {
        let a = VGGWeights.builtIn(depth: 8), b = VGGWeights.builtIn(depth: 8)
        XCTAssertEqual(a.convs.keys.sorted(), [0, 2, 5, 7])
        for index in [0, 2, 5, 7] {
            let w = a.convs[index]!
            XCTAssertEqual(w.weight, b.convs[index]!.weight)
            let bound = (6 / Float(9 * w.inChannels)).squareRoot()
            XCTAssertTrue(w.weight.allSatisfy { abs($0) <= bound })
            XCTAssertEqual(w.weight.count, w.outChannels * w.inChannels * 9)
            XCTAssertTrue(w.bias.allSatisfy { $0 == 0 })
            let mean = w.weight.reduce(0, +) / Float(w.weight.count)
            XCTAssertLessThan(abs(mean), bound * 0.05)
            let variance = w.weight.map { $0 * $0 }.reduce(0, +) / Float(w.weight.count)
            assertClose(Double(variance), Double(bound * bound / 3), abs: 0, rel: 0.05, "uniform variance")
        }
        // A layer does not depend on how many layers were made, and other seeds differ.
        XCTAssertEqual(VGGWeights.builtIn(depth: 3).convs[2]!.weight, a.convs[2]!.weight)
        XCTAssertNotEqual(VGGWeights.builtIn(depth: 3, seed: 1).convs[2]!.weight, a.convs[2]!.weight)
        // The stream is SplitMix64 seeded with seed ^ (index << 32).
        var rng = SplitMix64(seed: VGGWeights.builtInSeed ^ (5 << 32))
        let bound = (6 / Float(9 * 64)).squareRoot()
        XCTAssertEqual(a.convs[5]!.weight.prefix(3), [rng.nextFloat(in: -bound, bound), rng.nextFloat(in: -bound, bound), rng.nextFloat(in: -bound, bound)])
    }
}
