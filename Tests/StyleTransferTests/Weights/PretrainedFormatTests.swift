// PretrainedFormatTests: .pth (zip, legacy, half), .caffemodel (V1, V2) against safetensors; malformed files; model inference; preprocessing.
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

final class PretrainedFormatTests: ScratchFolderTestCase {
    /// The built-in weights of TinyProblem's depth (conv1_1, conv1_2, conv2_1) as state-dict tensors.
    private func tensors(half: Bool = false) -> [TorchTensor] {
        let builtIn = VGGWeights.builtIn(depth: 7)
        return [0, 2, 5].flatMap { index -> [TorchTensor] in
            let c = builtIn.convs[index]!
            return [TorchTensor(key: "features.\(index).weight", shape: [c.outChannels, c.inChannels, 3, 3], values: c.weight, half: half),
                    TorchTensor(key: "features.\(index).bias", shape: [c.outChannels], values: c.bias.enumerated().map { Float($0.offset) * 0.01 }, half: half)]
        } + [TorchTensor(key: "classifier.0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6], half: half)]
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    private func safetensors(_ t: [TorchTensor], metadata: [String: String]? = nil, name: String = "w.safetensors") throws -> URL {
        let data = safetensorsData(t.map { TestTensor(key: $0.key, shape: $0.shape, values: $0.values, dtype: $0.half ? "F16" : "F32") }, metadata: metadata)
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private func rows(_ url: URL, preprocess: Preprocess? = nil) throws -> [LossValues] {
        let problem = try TinyProblem()
        let weights = try VGGWeights.load(from: url, depth: 7, preprocess: preprocess)
        return try problem.run(problem.engine(weights: weights))
    }

    private func loadError(_ url: URL) -> String {
        do { _ = try VGGWeights.load(from: url, depth: 7); return "no error" } catch { return "\(error)" }
    }

    func testPthZipAndLegacyGiveTheSameLossLogAsSafetensors() throws {
        let t = tensors()
        let reference = try rows(safetensors(t))
        let zip = folder.appendingPathComponent("zip.pth")
        try writeZipPth(t, to: zip)
        let legacy = try write(legacyPth(t), "legacy.pth")
        XCTAssertEqual(try WeightsFile(url: zip).format, .pth)
        XCTAssertEqual(try rows(zip).map(\.total), reference.map(\.total))
        XCTAssertEqual(try rows(legacy).map(\.total), reference.map(\.total))
        XCTAssertEqual(try rows(legacy).map(\.style), reference.map(\.style))
        // The content is sniffed when the extension says nothing.
        let noExtension = try write(legacyPth(t), "weights-file")
        XCTAssertEqual(try WeightsFile(url: noExtension).format, .pth)
        let loaded = try VGGWeights.load(from: zip, depth: 7)
        XCTAssertEqual(loaded.convs[5]!.bias, t[5].values)
        XCTAssertEqual(loaded.preprocess, .torchvision)
    }

    func testHalfStoragesMatchFloat16Safetensors() throws {
        let t = tensors(half: true)
        let reference = try rows(safetensors(t))
        let zip = folder.appendingPathComponent("half.pth")
        try writeZipPth(t, to: zip)
        XCTAssertEqual(try rows(zip).map(\.total), reference.map(\.total))
        XCTAssertEqual(try rows(write(legacyPth(t), "half-legacy.pth")).map(\.total), reference.map(\.total))
    }

    func testCaffeModelsV1AndV2MatchSafetensorsWithTheCaffeConvention() throws {
        let t = tensors()
        let reference = try rows(safetensors(t, metadata: ["preprocess": "caffe"]))
        let convs = [("conv1_1", t[0], t[1]), ("conv1_2", t[2], t[3]), ("conv2_1", t[4], t[5])]
        for v1 in [true, false] {
            let url = try write(caffeModel(convs: convs, v1: v1), v1 ? "v1.caffemodel" : "v2.caffemodel")
            let file = try WeightsFile(url: url)
            XCTAssertEqual(file.statedPreprocess, .caffe)
            XCTAssertEqual(try rows(url).map(\.total), reference.map(\.total), v1 ? "V1" : "V2")
        }
        // Without --style-weight, pretrained weights get the style weight derived for their
        // convention: Caffe's here, torchvision's for a .pth, unless --preprocess says otherwise.
        let caffe = try WeightsFile(url: folder.appendingPathComponent("v1.caffemodel"))
        XCTAssertEqual(PretrainedDefaults.styleWeight(contentWeight: 2, weights: caffe, preprocess: nil), 2 * 0.0066, accuracy: 1e-12)
        XCTAssertEqual(PretrainedDefaults.styleWeight(contentWeight: 2, weights: caffe, preprocess: .torchvision), 44, accuracy: 1e-12)
        XCTAssertEqual(PretrainedDefaults.styleWeight(contentWeight: 2, weights: nil, preprocess: nil), LossWeights.defaults.style)
        // A conv-only caffemodel under the normalised VGG-19's file name reads the same, and gets
        // that network's own ratio (docs/MATH.md section 10): 4e3 mean(1/C^2) / 5 / 4.
        let normalised = try write(caffeModel(convs: convs, v1: true), "vgg_normalised.caffemodel")
        XCTAssertEqual(try rows(normalised).map(\.total), reference.map(\.total))
        let derived = [64.0, 128, 256, 512, 512].map { 4e3 / ($0 * $0) }.reduce(0, +) / 4
        XCTAssertEqual(derived, 0.33, accuracy: 0.005)
        XCTAssertEqual(PretrainedDefaults.styleWeight(contentWeight: 2, weights: try WeightsFile(url: normalised), preprocess: nil),
                       2 * 0.33, accuracy: 1e-12)
        XCTAssertEqual(WeightsCache.knownFile("vgg19-normalised")?.fileName, "vgg_normalised.caffemodel")
        // The first convolution reads BGR in the file and RGB in the network.
        let loaded = try VGGWeights.load(from: folder.appendingPathComponent("v1.caffemodel"), depth: 7)
        XCTAssertEqual(Array(loaded.convs[0]!.weight[0..<9]), Array(t[0].values[18..<27]))
        assertAllClose(loaded.mean.map { $0 * 255 }, [123.68, 116.779, 103.939], accuracy: 1e-4)
    }

    func testForbiddenGlobalsAreRefusedByName() throws {
        let t = tensors()
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("posix", "system")] {
            let pickle = stateDictPickle(t, legacy: false, forbidden: (module, name))
            let zip = folder.appendingPathComponent("evil-\(name).pth")
            try writeZipPth(t, to: zip, pickle: pickle)
            XCTAssertTrue(loadError(zip).contains("'\(module).\(name)'"), loadError(zip))
            XCTAssertTrue(loadError(zip).contains("not allowed"), loadError(zip))
            let legacy = try write(legacyPth(t, pickle: stateDictPickle(t, legacy: true, forbidden: (module, name))), "evil.pth")
            XCTAssertTrue(loadError(legacy).contains("'\(module).\(name)'"), loadError(legacy))
        }
        // A storage type other than float or half is named too.
        var bytes = stateDictPickle(t, legacy: false)
        let from = Array("FloatStorage".utf8), to = Array("LongStorage\n".utf8)
        if let i = (0...(bytes.count - from.count)).first(where: { Array(bytes[$0..<$0 + from.count]) == from }) {
            bytes.replaceSubrange(i..<i + from.count, with: to.dropLast())   // "LongStorage" (one byte shorter)
        }
        let zip = folder.appendingPathComponent("long.pth")
        try writeZipPth(t, to: zip, pickle: bytes)
        XCTAssertTrue(loadError(zip).contains("torch.LongStorage"), loadError(zip))
    }

    func testMalformedPthFiles() throws {
        let t = tensors()
        let legacy = legacyPth(t)
        XCTAssertTrue(loadError(try write(Array(legacy.prefix(legacy.count - 100)), "cut.pth")).contains("truncated"))
        XCTAssertTrue(loadError(try write(Array(legacy.prefix(40)), "cut-pickle.pth")).contains("weights file"))
        var wrongMagic = legacy
        wrongMagic[5] ^= 0xFF
        let magic = try write(wrongMagic, "magic.pth")
        XCTAssertTrue(loadError(magic).contains("magic"), loadError(magic))
        XCTAssertTrue(loadError(try write([0x12, 0x34, 0x56], "junk.pth")).contains("weights file"))
        let zip = folder.appendingPathComponent("z.pth")
        try writeZipPth(t, to: zip)
        let whole = try [UInt8](Data(contentsOf: zip))
        let cut = try write(Array(whole.prefix(whole.count / 2)), "zcut.pth")
        XCTAssertTrue(loadError(cut).contains("weights file '\(cut.path)'"), loadError(cut))
        // Shapes that disagree with the model name the layer.
        var wrong = t
        wrong[2] = TorchTensor(key: "features.2.weight", shape: [64, 64, 1, 9], values: t[2].values)
        let bad = folder.appendingPathComponent("shape.pth")
        try writeZipPth(wrong, to: bad)
        XCTAssertTrue(loadError(bad).contains("features.2.weight") && loadError(bad).contains("conv1_2"), loadError(bad))
    }

    func testMalformedCaffeModels() throws {
        let t = tensors()
        let good = caffeModel(convs: [("conv1_1", t[0], t[1]), ("conv1_2", t[2], t[3]), ("conv2_1", t[4], t[5])], v1: true)
        XCTAssertTrue(loadError(try write(Array(good.prefix(good.count / 2)), "cut.caffemodel")).contains("truncated"))
        var badLength = good
        badLength[badLength.firstIndex(of: 0x12)! + 1] = 0xFF   // the first layer's length byte made huge (varint continues)
        XCTAssertTrue(loadError(try write(badLength, "len.caffemodel")).contains("weights file"))
        XCTAssertTrue(loadError(try write([0x0A, 0x05, 0x41], "short.caffemodel")).contains("weights file"))
        XCTAssertTrue(loadError(try write([], "empty.caffemodel")).contains("no V1"))
        // A convolution missing from the file is named.
        let partial = try write(caffeModel(convs: [("conv1_1", t[0], t[1])], v1: false), "partial.caffemodel")
        XCTAssertTrue(loadError(partial).contains("conv1_2"), loadError(partial))
    }

    func testModelIsInferredFromTheFileAndMustAgreeWithModel() throws {
        // A VGG-16 state dict: all 13 convolutions declared, data only for those depth 7 reads.
        var data = TestData(seed: 3)
        let model = VGGModel.vgg16
        let t = model.convIndices(depth: model.layers.count).flatMap { index -> [TorchTensor] in
            guard case let .conv(i, o) = model.layers[index].kind else { return [] }
            let small = index < 7
            return [TorchTensor(key: "features.\(index).weight", shape: [o, i, 3, 3], values: small ? data.uniform(o * i * 9) : [], withData: small),
                    TorchTensor(key: "features.\(index).bias", shape: [o], values: small ? data.uniform(o) : [], withData: small)]
        }
        let url = folder.appendingPathComponent("vgg16-like.pth")
        try writeZipPth(t, to: url)
        let file = try WeightsFile(url: url)
        XCTAssertEqual(file.model, .vgg16)
        var options = try TinyProblem().options
        XCTAssertEqual(try TransferPlan(options, weights: file).model, .vgg16)
        options.model = .vgg19
        XCTAssertThrowsError(try TransferPlan(options, weights: file)) { XCTAssertTrue("\($0)".hasPrefix("--model:"), "\($0)") }
        XCTAssertThrowsError(try VGGWeights.load(from: file, depth: 7, model: .vgg19)) { XCTAssertTrue("\($0)".contains("load it as vgg16"), "\($0)") }
        XCTAssertEqual(try VGGWeights.load(from: file, depth: 7).model, .vgg16)
    }

    func testVGG16HasItsOwnLayersAndRunsWithBuiltInWeights() throws {
        XCTAssertEqual(VGGModel.vgg16.layers.count, 31)
        XCTAssertEqual(VGGModel.vgg16.convolutionCount, 13)
        XCTAssertEqual(VGGModel.vgg16.index(of: "relu5_1"), 25)
        XCTAssertNil(VGGModel.vgg16.index(of: "conv3_4"))
        XCTAssertEqual(VGGModel.named("VGG-16"), .vgg16)
        var problem = try TinyProblem(size: 32)
        problem.options.model = .vgg16
        problem.options.styleLayers = ["relu1_1", "relu3_3", "relu5_1"]
        problem.options.iterations = 2
        let plan = try TransferPlan(problem.options)
        XCTAssertEqual(plan.depth, 26)
        let engine = try TransferEngine(device: problem.device, plan: plan, weights: .builtIn(depth: plan.depth, model: .vgg16),
                                        content: problem.content, styles: [problem.style])
        let rows = try problem.run(engine)
        XCTAssertLessThan(rows.last!.total, rows[0].total)
        problem.options.styleLayers = ["relu3_4"]
        XCTAssertThrowsError(try TransferPlan(problem.options)) { XCTAssertTrue("\($0)".contains("VGG-16"), "\($0)") }
        // Weights of one model cannot run a plan of the other.
        XCTAssertThrowsError(try TransferEngine(device: problem.device, plan: plan, weights: .builtIn(depth: 26),
                                                content: problem.content, styles: [problem.style]))
    }

    func testPreprocessChangesResultsAndFollowsTheWeights() throws {
        var problem = try TinyProblem()
        let torchvision = try problem.run(problem.engine())
        problem.options.preprocess = .caffe
        let plan = try TransferPlan(problem.options)
        XCTAssertEqual(plan.preprocess, .caffe)
        let caffe = try problem.run(TransferEngine(device: problem.device, plan: plan,
                                                   weights: .builtIn(depth: 7, preprocess: plan.preprocess),
                                                   content: problem.content, styles: [problem.style]))
        XCTAssertNotEqual(caffe[0].style, torchvision[0].style)
        // Caffe's convention is 255 x - mean pixel, in BGR: with the first convolution's input
        // channels reversed, the network sees exactly that.
        XCTAssertEqual(Preprocess.caffe.std, [1 / 255, 1 / 255, 1 / 255])
        XCTAssertEqual(Preprocess.caffe.mean[0] * 255, 123.68, accuracy: 1e-4)
        // The preset defaults to caffe, known file names and .caffemodel decide before it.
        problem.options.preprocess = nil
        problem.options.preset = .neuralStyle
        XCTAssertEqual(try TransferPlan(problem.options).preprocess, .caffe)
        let named = try safetensors(tensors(), name: "vgg19-dcbb9e9d.safetensors")
        XCTAssertNil(try WeightsFile(url: named).statedPreprocess)
        let st = try safetensors(tensors(), metadata: ["preprocess": "torchvision"])
        XCTAssertEqual(try TransferPlan(problem.options, weights: WeightsFile(url: st)).preprocess, .torchvision)
        let known = folder.appendingPathComponent("vgg19-dcbb9e9d.pth")
        try writeZipPth(tensors(), to: known)
        XCTAssertEqual(try WeightsFile(url: known).statedPreprocess, .torchvision)
        let bad = try safetensors(tensors(), metadata: ["preprocess": "bgr"], name: "bad.safetensors")
        XCTAssertThrowsError(try WeightsFile(url: bad)) { XCTAssertTrue("\($0)".contains("__metadata__.preprocess"), "\($0)") }
    }

    func testSHA256KnownVectors() {
        var empty = SHA256()
        XCTAssertEqual(empty.hexDigest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        XCTAssertEqual(abc.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        let text = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        long.update(Array(text[0..<10])); long.update(Array(text[10...]))
        XCTAssertEqual(long.hexDigest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

private func assertAllClose(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
