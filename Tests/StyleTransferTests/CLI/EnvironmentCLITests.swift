// EnvironmentCLITests: the process's surroundings: non-UTF-8 file names, an OpenCL driver that fails to start, and the binary's library search path.
import CKernels
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class EnvironmentCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 5)
        try Image(width: 12, height: 10, pixels: data.uniform(3 * 12 * 10, 0, 1)).writePNG(to: folder.appendingPathComponent("c.png").path)
    }

    /// Before: Swift turned the byte 0xFF into U+FFFD and nst wrote `out\u{FFFD}.png`, a
    /// file the user never named. Now: one line naming the option, exit 1, nothing written.
    func testNonUTF8NamesAreRefusedNamingTheOption() throws {
        let run = "$NST transfer --content c.png --style c.png --size 8 --iterations 1 --device cpu --quiet"
        for (script, option) in [("\(run) --output \"$(printf 'out\\377.png')\"", "--output"),
                                 ("\(run) --output=\"$(printf 'out\\377.png')\"", "--output"),
                                 ("\(run) --loss-log \"$(printf 'l\\300.csv')\"", "--loss-log")] {
            let result = try NSTShell.run(script, in: folder)
            XCTAssertEqual(result.status, 1, script)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertEqual(result.stderrLines.first.map(String.init),
                           "nst: error: the value of \(option) is not valid UTF-8; nst names files in UTF-8 only (rename the file, or pick a UTF-8 name)")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            XCTAssertEqual(names, ["c.png"], "nothing written: \(names)")
        }
        let positional = try NSTShell.run("$NST plot \"$(printf 'x\\377.csv')\"", in: folder)
        XCTAssertEqual(positional.status, 1)
        XCTAssertEqual(positional.stderrLines.first.map(String.init),
                       "nst: error: argument 2 is not valid UTF-8; nst names files in UTF-8 only (rename the file, or pick a UTF-8 name)")
    }

    /// With no PATH at all (`env -i`) and PoCL's kernel cache empty, PoCL must find `ld` to
    /// link what it compiles. Before, it could not, and aborted the process (status 134);
    /// now nst gives itself the shells' default search path and the self-test passes.
    func testRunsWithoutPATH() throws {
        let info = try OpenCLTestDevice.get().info
        let pocl = folder.appendingPathComponent("pocl"), cache = folder.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: pocl, withIntermediateDirectories: true)
        // A sanitizer's settings go through (the sanitize step turns leak detection off: PoCL's
        // LLVM keeps what it allocates until exit).
        let sanitizer = ["ASAN_OPTIONS", "TSAN_OPTIONS"].compactMap { name in
            ProcessInfo.processInfo.environment[name].map { "\(name)='\($0)' " }
        }.joined()
        let result = try NSTShell.run("env -i HOME=\"$HOME\" \(sanitizer)POCL_CACHE_DIR='\(pocl.path)' NST_CACHE_DIR='\(cache.path)' \"$NST\" "
                                      + "selftest --device opencl:\(info.index); echo \"status $?\"", in: folder)
        XCTAssertTrue(result.stdout.hasSuffix("status 0\n"), result.stdout.suffix(300) + result.stderr)
        XCTAssertTrue(result.stdout.contains("\(info.name): passed"), result.stdout.suffix(300) + result.stderr)
    }

    /// NST_CPU_KERNELS picks a kernel variant the processor can run and is shown by `nst
    /// devices`; any other value is one line naming the variable and exit 1.
    func testCPUKernelVariantFromTheEnvironment() throws {
        let generic = try NSTShell.run("NST_CPU_KERNELS=generic $NST devices", in: folder)
        XCTAssertEqual(generic.status, 0, generic.stderr)
        XCTAssertTrue(generic.stdout.contains("generic kernels, OpenBLAS"), generic.stdout)
        let unset = try NSTShell.run("env -u NST_CPU_KERNELS $NST devices", in: folder)
        XCTAssertTrue(unset.stdout.contains("\(ProcessSettings.cpuKernelNames[Int(nst_kernels_best_isa().rawValue)]) kernels, OpenBLAS"),
                      unset.stdout)
        let bad = try NSTShell.run("NST_CPU_KERNELS=sse9 $NST devices", in: folder)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderrLines.map(String.init),
                       ["nst: error: NST_CPU_KERNELS: unknown kernel variant 'sse9' (use generic, avx2, avx512)"])
    }

    /// Before: with an unwritable HOME (a service user), PoCL cannot make its kernel cache,
    /// the ICD loader then lists no platform, and nst said no OpenCL driver was installed.
    func testDriverThatFailsToStartIsNotCalledMissing() throws {
        guard !OpenCLDeviceInfo.registeredDrivers(environment: ProcessInfo.processInfo.environment).isEmpty else {
            throw XCTSkip("no OpenCL driver is registered on this machine, so none can fail to start")
        }
        let env = "env -u POCL_CACHE_DIR -u XDG_CACHE_HOME HOME=/dev/null"
        let devices = try NSTShell.run("\(env) $NST devices", in: folder)
        XCTAssertEqual(devices.status, 0, devices.stderr)
        guard devices.stdout.hasPrefix("No OpenCL device found") else {
            throw XCTSkip("the OpenCL driver here starts even without a writable HOME: \(devices.stdout.prefix(80))")
        }
        XCTAssertTrue(devices.stdout.contains("OpenCL drivers are installed ("), devices.stdout)
        XCTAssertTrue(devices.stdout.contains("but none started"), devices.stdout)
        XCTAssertTrue(devices.stdout.contains("/dev/null/.cache/pocl (from HOME) cannot be written"), devices.stdout)
        XCTAssertFalse(devices.stdout.contains("no OpenCL driver"), devices.stdout)
        let transfer = try NSTShell.run("\(env) $NST transfer --content c.png --style c.png --size 8 --content-layers relu1_1 --style-layers relu1_1 --iterations 1 --device opencl --output o.png",
                                        in: folder)
        XCTAssertEqual(transfer.status, 1)
        XCTAssertEqual(transfer.stderrLines.count, 1, transfer.stderr)
        XCTAssertTrue(transfer.stderr.hasPrefix("nst: error: --device: no OpenCL device was found: OpenCL drivers are installed"), transfer.stderr)
    }

    /// Before: with POCL_CACHE_DIR naming a file, PoCL starts but every kernel build fails with
    /// an empty log, and nst printed the raw clBuildProgram failure; now the hint `nst devices` gives.
    func testAKernelCacheThatCannotBeWrittenIsNamed() throws {
        let env = "env POCL_CACHE_DIR=\(folder.appendingPathComponent("c.png").path) NST_CACHE_DIR=\(folder.appendingPathComponent("fresh").path)"
        let transfer = try NSTShell.run("\(env) $NST transfer --content c.png --style c.png --size 8 --content-layers relu1_1 --style-layers relu1_1 --iterations 1 --device opencl --output o.png --quiet",
                                        in: folder)
        XCTAssertEqual(transfer.status, 1, transfer.stderr)
        XCTAssertEqual(transfer.stderrLines.count, 1, transfer.stderr)
        XCTAssertTrue(transfer.stderr.contains("(from POCL_CACHE_DIR) cannot be written (set POCL_CACHE_DIR to a writable folder)"), transfer.stderr)
        XCTAssertFalse(transfer.stderr.contains("clBuildProgram"), transfer.stderr)
    }

    func testAbsenceReasonTellsMissingFromBroken() throws {
        let vendors = folder.appendingPathComponent("vendors")
        try FileManager.default.createDirectory(at: vendors, withIntermediateDirectories: true)
        var env = ["OCL_ICD_VENDORS": vendors.path, "HOME": folder.path]
        XCTAssertEqual(OpenCLDeviceInfo.absenceReason(environment: env), "no OpenCL driver is installed (no .icd file in \(vendors.path))")
        try Data("libpocl.so.2\n".utf8).write(to: vendors.appendingPathComponent("pocl.icd"))
        try Data("x".utf8).write(to: vendors.appendingPathComponent("README"))
        XCTAssertEqual(OpenCLDeviceInfo.absenceReason(environment: env),
                       "OpenCL drivers are installed (pocl.icd) but none started; OCL_ICD_DEBUG=7 makes the ICD loader say why")
        env["HOME"] = "/dev/null"
        XCTAssertTrue(OpenCLDeviceInfo.absenceReason(environment: env).contains("/dev/null/.cache/pocl (from HOME) cannot be written"))
        env["POCL_CACHE_DIR"] = folder.appendingPathComponent("c.png").path + "/cache"
        XCTAssertTrue(OpenCLDeviceInfo.absenceReason(environment: env).contains("(from POCL_CACHE_DIR) cannot be written"))
        env["POCL_CACHE_DIR"] = folder.appendingPathComponent("new/deeper").path
        XCTAssertFalse(OpenCLDeviceInfo.absenceReason(environment: env).contains("cannot be written"), "a folder that can be made is fine")
    }

    /// A RUNPATH entry `$ORIGIN` makes the loader look for libpng, libOpenCL, ... in the
    /// binary's own folder before the system's: a library dropped next to `nst` would be
    /// loaded. `make build` and `make test` link with `--disable-local-rpath`.
    func testBinaryDoesNotSearchItsOwnFolderForLibraries() throws {
        // readelf comes with binutils, which the Swift toolchain links with.
        let dynamic = try NSTShell.run("readelf -d \"$NST\"", in: folder)
        XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
        XCTAssertTrue(dynamic.stdout.contains("libpng16.so"), "readelf lists the binary's libraries: \(dynamic.stdout.prefix(200))")
        let runpath = dynamic.stdout.split(separator: "\n").filter { $0.contains("(RUNPATH)") || $0.contains("(RPATH)") }.joined()
        guard !runpath.contains("$ORIGIN") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("nst has \(runpath): build with --disable-local-rpath (make test does)")
                return
            }
            throw XCTSkip("this build of nst was linked without --disable-local-rpath (make build and make test pass it): \(runpath)")
        }
    }
}
