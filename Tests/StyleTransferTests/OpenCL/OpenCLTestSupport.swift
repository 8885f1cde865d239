// OpenCLTestSupport: the shared OpenCL test device (fail in CI, skip elsewhere when absent) and parity reporting.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

/// Thrown in CI when no OpenCL device exists: a parity test must never pass silently.
struct MissingOpenCLInCI: Error, CustomStringConvertible {
    let reason: String
    var description: String { "CI is set but \(reason); CI must install an OpenCL driver (PoCL) for the backend parity tests" }
}

enum OpenCLTestDevice {
    /// The device the parity tests use: `$NST_TEST_OPENCL_DEVICE` (an index as in `nst
    /// devices`), default 0. Opened once so CLBlast and the kernels compile once per run.
    /// Untuned and with the tests' own kernel cache: a stored `nst tune` result never
    /// changes which kernels the tests exercise (tests of tuned paths say their tuning).
    private static let shared: Result<OpenCLDevice, Error>? = {
        do {
            let all = try OpenCLDeviceInfo.all()
            guard !all.isEmpty else { return nil }
            let index = ProcessInfo.processInfo.environment["NST_TEST_OPENCL_DEVICE"].flatMap(Int.init) ?? 0
            guard all.indices.contains(index) else { return .failure(DeviceError.invalidArgument(op: "NST_TEST_OPENCL_DEVICE", detail: "no OpenCL device \(index)")) }
            let device = try OpenCLDevice(info: all[index], cacheDirectory: TestCache.folder, tuning: .none)
            device.applyCLBlastTuning()
            return .success(device)
        } catch {
            return .failure(error)
        }
    }()

    /// A second device on the same driver with a tiny im2col budget, so small convolutions
    /// go through the banded path (several bands of output rows).
    private static let banded: Result<OpenCLDevice, Error>? = {
        switch shared {
        case .success(let device)?:
            return Result { try OpenCLDevice(info: device.info, im2colLimit: 90, cacheDirectory: TestCache.folder, tuning: .none) }
        case .failure(let error)?: return .failure(error)
        case nil: return nil
        }
    }()

    /// The shared OpenCL device; skips the test (with a printed reason) when this machine
    /// has no OpenCL device, and fails it when the environment variable CI is set.
    static func get(banded wantBanded: Bool = false) throws -> OpenCLDevice {
        guard let result = wantBanded ? banded : shared else {
            let reason = "no OpenCL platform or device was found (install an OpenCL driver such as PoCL)"
            if ProcessInfo.processInfo.environment["CI"] != nil { throw MissingOpenCLInCI(reason: reason) }
            print("skipping OpenCL test: \(reason)")
            throw XCTSkip(reason)
        }
        return try result.get()
    }
}

/// Compares an OpenCL result with the CPU reference within `abs + rel*|expected|`,
/// failing with the worst element, and prints the worst relative difference seen so the
/// figures can be recorded (BENCHMARKS.md).
func assertParity<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ op: String, _ actual: [A], _ expected: [E], abs absTol: Double, rel relTol: Double,
    file: StaticString = #filePath, line: UInt = #line
) {
    assertClose(actual, expected, abs: absTol, rel: relTol, op, file: file, line: line)
    ParityLog.record(op, actual, expected)
}

/// The largest differences seen per op over the whole run, printed as each grows.
enum ParityLog {
    // nonisolated(unsafe): every access holds `lock`.
    nonisolated(unsafe) private static var worst: [String: Double] = [:]
    private static let lock = NSLock()

    /// Records the worst normwise relative difference `|a - e| / max|e|` of a comparison:
    /// elementwise relative errors of values near zero say nothing about a backend.
    static func record<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(_ op: String, _ actual: [A], _ expected: [E]) {
        let scale = expected.map { abs(Double($0)) }.max() ?? 0
        var diff = 0.0
        for (a, e) in zip(actual, expected) { diff = max(diff, abs(Double(a) - Double(e))) }
        let relative = scale > 0 ? diff / scale : diff
        lock.lock()
        defer { lock.unlock() }
        if relative > worst[op] ?? -1 {
            worst[op] = relative
            print("parity \(op): max |opencl - cpu| / max |cpu| = \(relative)")
        }
    }
}
