// OpenCLInfrastructureTests: status names, build logs, the disk cache on a real driver, out-of-memory and foreign tensors.
import COpenCL
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

final class OpenCLInfrastructureTests: XCTestCase {
    func testStatusNames() {
        XCTAssertEqual(OpenCLStatus.name(-4), "CL_MEM_OBJECT_ALLOCATION_FAILURE")
        XCTAssertEqual(OpenCLStatus.name(-11), "CL_BUILD_PROGRAM_FAILURE")
        XCTAssertEqual(OpenCLStatus.name(-1001), "CL_PLATFORM_NOT_FOUND_KHR")
        XCTAssertEqual(OpenCLStatus.name(-2046), "CLBlastInvalidLocalMemUsage")
        XCTAssertEqual(OpenCLStatus.name(-1016), "CLBlastInvalidLeadDimA")
        XCTAssertEqual(OpenCLStatus.name(-777), "unknown status -777")
        let message = OpenCLStatus.error(-4, call: "clEnqueueNDRangeKernel(im2col)").description
        XCTAssertTrue(message.contains("clEnqueueNDRangeKernel(im2col)") && message.contains("CL_MEM_OBJECT_ALLOCATION_FAILURE")
                      && message.contains("try a smaller image"), message)
    }

    func testCLBlastErrorCarriesStatusNameAndCall() throws {
        let info = try OpenCLTestDevice.get().info
        let device = try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, gemmEngine: .clblast)))
        let a = try device.makeTensor(Shape(4, 4))
        let buffer = try device.buffer(a, "test")
        // A product larger than its 16-float buffers is refused by CLBlast.
        XCTAssertThrowsError(try device.sgemm("test product", m: 8, n: 4, k: 4, alpha: 1, a: buffer, lda: 4,
                                              b: buffer, ldb: 4, beta: 0, c: buffer, ldc: 4)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("CLBlastInsufficientMemory") && text.contains("CLBlastSgemm(test product"), text)
        }
    }

    func testBuildFailureThrowsWithBuildLog() throws {
        let device = try OpenCLTestDevice.get()
        let source = "__kernel void broken(__global float* x) { x[0] = undefined_identifier_42; }"
        XCTAssertThrowsError(try device.context.buildProgram(file: "broken", source: source)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("CL_BUILD_PROGRAM_FAILURE"), text)
            XCTAssertTrue(text.contains("Kernels/broken.cl"), text)
            XCTAssertTrue(text.contains("undefined_identifier_42"), "the build log should name the bad identifier: \(text)")
        }
    }

    /// A second device with the same cache folder loads every program from disk; corrupt
    /// entries are ignored, rebuilt and rewritten.
    func testProgramCacheOnDisk() throws {
        let info = try OpenCLTestDevice.get().info
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-cl-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func exercise() throws -> (compiled: Int, fromCache: Int) {
            let device = try OpenCLDevice(info: info, cacheDirectory: dir)
            let x = try device.makeTensor(Shape(3, 4, 5))
            try device.relu(input: x, output: x)
            _ = try device.totalVariationLoss(image: x, gradient: x, scale: 1)
            try device.pool2x2(.max, input: x, output: try device.makeTensor(Shape(3, 2, 2)))
            return device.programStatistics
        }
        let first = try exercise()
        XCTAssertEqual(first.compiled, 4, "elementwise, reduce, tv and pool compiled")
        XCTAssertEqual(first.fromCache, 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".clbin") }
        XCTAssertEqual(files.count, 4, "\(files)")
        let second = try exercise()
        XCTAssertEqual(second.compiled, 0, "a second run must not compile the kernels again")
        XCTAssertEqual(second.fromCache, 4)
        // Corrupt every entry: half garbage, half truncated.
        for (index, file) in files.enumerated() {
            let url = dir.appendingPathComponent(file)
            let data = try Data(contentsOf: url)
            try (index % 2 == 0 ? Data(repeating: 0xAB, count: data.count) : data.prefix(data.count / 2)).write(to: url)
        }
        let third = try exercise()
        XCTAssertEqual(third.compiled, 4, "corrupt entries are rebuilt")
        let fourth = try exercise()
        XCTAssertEqual(fourth.fromCache, 4, "rebuilt entries are rewritten")
        // A well-formed entry whose binary the driver refuses is rebuilt too.
        let options = try OpenCLDevice(info: info, cacheDirectory: dir).context.buildOptions
        let key = ProgramBinaryCache.key(source: KernelSources.all["elementwise"] ?? "", options: options,
                                         deviceName: info.name, driverVersion: info.driverVersion,
                                         platformVersion: info.platformVersion)
        ProgramBinaryCache(directory: dir).store(key: key, binary: Array("not a program binary".utf8))
        let fifth = try exercise()
        XCTAssertEqual(fifth.compiled, 1, "the refused binary is compiled again")
        XCTAssertEqual(fifth.fromCache, 3)
    }

    func testAllocationBeyondTheDeviceLimitIsOutOfMemory() throws {
        let device = try OpenCLTestDevice.get()
        let count = device.info.maxAllocation / 4 + 1
        XCTAssertThrowsError(try device.makeTensor(Shape(count))) { error in
            guard case let DeviceError.outOfMemory(bytes, _, hint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(bytes, count * 4)
            XCTAssertTrue(hint.contains("smaller image"), hint)
        }
    }

    func testForeignTensorsAreRefused() throws {
        let device = try OpenCLTestDevice.get()
        let cpuTensor = try CPUDevice().makeTensor(Shape(2, 2, 2))
        XCTAssertThrowsError(try device.relu(input: cpuTensor, output: try device.makeTensor(Shape(2, 2, 2)))) { error in
            guard case DeviceError.foreignTensor(let op, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "relu")
        }
        let other = try OpenCLTestDevice.get(banded: true)
        XCTAssertThrowsError(try device.download(try other.makeTensor(Shape(3))), "a tensor of another context")
    }

    func testShapeMismatchNamesShapes() throws {
        let device = try OpenCLTestDevice.get()
        XCTAssertThrowsError(try device.conv2d(input: try device.makeTensor(Shape(3, 5, 5)),
                                               weight: try device.makeTensor(Shape(4, 2, 3, 3)), bias: nil,
                                               output: try device.makeTensor(Shape(4, 5, 5)), padding: 1)) { error in
            XCTAssertTrue("\(error)".contains("[3x5x5]") && "\(error)".contains("[4x2x3x3]"), "\(error)")
        }
    }

    /// The embedded sources are the files of Kernels/: every one, each with its kernels.
    func testKernelSourcesAreEmbedded() {
        XCTAssertEqual(Set(KernelSources.all.keys), ["elementwise", "gemm", "im2col", "pool", "reduce", "temporal", "tv", "window", "winograd"])
        XCTAssertTrue(KernelSources.all["reduce"]?.contains("__kernel void sum_into") == true)
        XCTAssertTrue(KernelSources.all["reduce"]?.contains("#ifndef WGS") == true)
    }
}

final class OpenCLOverwriteTests: XCTestCase {
    /// Ops documented to overwrite must not read their outputs: NaN left there must vanish
    /// (a matrix product with beta 0 must not compute 0 * NaN).
    func testOverwritingOpsIgnoreNaNInTheirOutputs() throws {
        let device = try OpenCLTestDevice.get()
        var data = TestData(seed: 31)
        let x = try device.tensor(Shape(3, 6, 5), data.uniform(90))
        let w = try device.tensor(Shape(4, 3, 3, 3), data.uniform(108))
        let dy = try device.tensor(Shape(4, 6, 5), data.uniform(120))
        func nan(_ shape: Shape) throws -> Tensor {
            let t = try device.makeTensor(shape)
            try device.fill(t, with: .nan)
            return t
        }
        let out = try nan(Shape(4, 6, 5)), gram = try nan(Shape(3, 3)), dIn = try nan(Shape(3, 6, 5))
        let dW = try nan(Shape(4, 3, 3, 3)), dB = try nan(Shape(4)), pooled = try nan(Shape(3, 3, 2))
        let dPool = try nan(Shape(3, 6, 5)), relu = try nan(Shape(3, 6, 5)), norm = try nan(Shape(3, 6, 5))
        try device.conv2d(input: x, weight: w, bias: nil, output: out, padding: 1)
        try device.gram(input: x, output: gram)
        try device.conv2dInputGradient(outputGradient: dy, weight: w, inputGradient: dIn, padding: 1)
        try device.conv2dWeightGradient(input: x, outputGradient: dy, weightGradient: dW, biasGradient: dB, padding: 1)
        try device.pool2x2(.max, input: x, output: pooled)
        try device.pool2x2Gradient(.avg, input: x, outputGradient: try device.tensor(Shape(3, 3, 2), data.uniform(18)),
                                   inputGradient: dPool)
        try device.relu(input: x, output: relu)
        try device.normalize(input: x, output: norm, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7])
        for (name, t) in [("conv2d", out), ("gram", gram), ("conv2dInputGradient", dIn), ("conv2dWeightGradient", dW),
                          ("bias gradient", dB), ("pool2x2", pooled), ("pool2x2Gradient", dPool), ("relu", relu),
                          ("normalize", norm)] {
            XCTAssertTrue(try device.download(t).allSatisfy(\.isFinite), "\(name) left NaN in its output")
        }
    }
}
