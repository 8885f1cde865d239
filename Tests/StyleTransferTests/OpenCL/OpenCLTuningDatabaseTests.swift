// OpenCLTuningDatabaseTests: the shipped tuning entries read and validate, the nearest-entry rules (exact, family, none), broken entries are refused, and the PoCL entry's settings match the CPU backend.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import StyleTransfer
import XCTest

final class OpenCLTuningDatabaseTests: XCTestCase {
    /// The shipped entry measured on PoCL with AVX2 (BENCHMARKS.md, "shipped tuning database").
    static let poclEntry = "pocl-3.1-x86_64-haswell-amd"

    /// A device described by hand: PoCL on an AVX2 processor unless told otherwise.
    private func device(name: String = "pthread-haswell-AMD EPYC", driver: String = "3.1+debian",
                        platform: String = "Portable Computing Language", vendor: String = "AuthenticAMD",
                        type: String = "CPU", architecture: String = "pthread-x86_64-pc-linux-gnu-haswell",
                        maxWorkGroupSize: Int = 4096) -> OpenCLDeviceIdentity {
        OpenCLDeviceIdentity(name: name, driverVersion: driver, platformName: platform,
                             platformVersion: "OpenCL 3.0 PoCL \(driver)", vendor: vendor, type: type,
                             architecture: architecture, computeUnits: 2, maxWorkGroupSize: maxWorkGroupSize)
    }

    /// An entry's JSON text as a file of `Tuning/Database/` holds it.
    private func entryJSON(measured: String = "by hand, for a test", device: OpenCLDeviceIdentity, tuning: OpenCLTuning) throws -> String {
        let object: [String: Any] = [
            "measured": measured,
            "device": try JSONSerialization.jsonObject(with: JSONEncoder().encode(device)),
            "tuning": try JSONSerialization.jsonObject(with: JSONEncoder().encode(tuning)),
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Every shipped entry reads, says where it was measured, passes `validate` for the device
    /// it was measured on, and is its own device's exact match; the PoCL entry is among them.
    func testShippedEntriesReadAndValidate() throws {
        let shipped = OpenCLTuningDatabase.shipped
        XCTAssertEqual(shipped.refused, [], "every file of Tuning/Database must read and validate")
        XCTAssertEqual(shipped.entries.count, TuningDatabaseSources.all.count)
        XCTAssertTrue(shipped.entries.contains { $0.name == Self.poclEntry }, "\(shipped.entries.map(\.name))")
        for entry in shipped.entries {
            XCTAssertNoThrow(try entry.tuning.validate(for: entry.device), entry.name)
            XCTAssertFalse(entry.measured.isEmpty, entry.name)
            let nearest = try XCTUnwrap(shipped.nearest(to: entry.device), entry.name)
            XCTAssertEqual(nearest.entry, entry)
            XCTAssertEqual(nearest.match, .exact)
        }
        // Two entries of one family would leave the second unreachable but for its own driver.
        let families = shipped.entries.map { $0.device.family }
        XCTAssertEqual(Set(families).count, families.count, "one entry per family")
    }

    /// The rules of `nearest`: this very device and driver first (even when another entry of
    /// the family sorts earlier), then the first entry of the same family by name, else none;
    /// a family member whose limits refuse the entry's values gets none.
    func testMatchingRulesExactFamilyNone() throws {
        let a = device(name: "Device A", driver: "1.0"), b = device(name: "Device B", driver: "2.0")
        let other = device(name: "Device C", driver: "1.0", architecture: "pthread-x86_64-pc-linux-gnu-skylake-avx512")
        let database = OpenCLTuningDatabase(sources: [
            "a-family-first": try entryJSON(device: a, tuning: OpenCLTuning(device: a, workGroupSize: 256)),
            "b-family-second": try entryJSON(device: b, tuning: OpenCLTuning(device: b, workGroupSize: 32)),
            "c-other-family": try entryJSON(device: other, tuning: OpenCLTuning(device: other, workGroupSize: 16)),
        ])
        XCTAssertEqual(database.refused, [])
        XCTAssertEqual(database.entries.map(\.name), ["a-family-first", "b-family-second", "c-other-family"])
        func nearest(_ query: OpenCLDeviceIdentity) -> String? {
            database.nearest(to: query).map { "\($0.entry.name) \($0.match)" }
        }
        XCTAssertEqual(nearest(a), "a-family-first exact")
        XCTAssertEqual(nearest(b), "b-family-second exact", "this device and driver win over the family's first entry")
        XCTAssertEqual(nearest(device(name: "Device B", driver: "2.1")), "a-family-first family", "another driver is only family")
        XCTAssertEqual(nearest(device(name: "Device D", driver: "9.9")), "a-family-first family")
        XCTAssertEqual(nearest(device(name: "Device E", architecture: "pthread-x86_64-pc-linux-gnu-skylake-avx512")),
                       "c-other-family family")
        // Another architecture or vendor with the same driver, kind and instruction set: related,
        // the same vendor's entry first.
        XCTAssertEqual(nearest(device(name: "Device F", architecture: "pthread-x86_64-pc-linux-gnu-znver4")), "a-family-first related")
        XCTAssertEqual(nearest(device(name: "Device G", vendor: "GenuineIntel")), "a-family-first related")
        XCTAssertNil(nearest(device(name: "Device K", architecture: "pthread-aarch64-unknown-linux-gnu-cortex-a72")), "another instruction set")
        XCTAssertNil(nearest(device(name: "Device H", platform: "Intel(R) OpenCL")), "another driver family")
        XCTAssertNil(nearest(device(name: "Device I", type: "GPU")), "another kind of device")
        XCTAssertNil(OpenCLTuningDatabase.empty.nearest(to: a))

        // Applied: the entry's settings made for the asking device, which validate for it.
        let applied = try XCTUnwrap(database.tuning(for: device(name: "Device D", driver: "9.9")))
        XCTAssertEqual(applied.entry.name, "a-family-first")
        XCTAssertEqual(applied.tuning.workGroupSize, 256)
        XCTAssertEqual(applied.tuning.deviceName, "Device D")
        XCTAssertNoThrow(try applied.tuning.validate(for: device(name: "Device D", driver: "9.9")))
        XCTAssertNil(database.tuning(for: device(name: "Device J", maxWorkGroupSize: 128)),
                     "WGS 256 is refused where work-groups end at 128, as a file's would be: the defaults apply")
    }

    /// A shipped entry that is damaged or whose values break a constraint is refused with its
    /// name, as a tuning file would be, and then matches nothing.
    func testBrokenEntriesAreRefused() throws {
        let text = try XCTUnwrap(TuningDatabaseSources.all[Self.poclEntry])
        let good = try OpenCLTuningEntry(name: Self.poclEntry, json: text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func edited(_ change: (inout [String: Any]) -> Void) throws -> String {
            var copy = object
            change(&copy)
            return String(decoding: try JSONSerialization.data(withJSONObject: copy), as: UTF8.self)
        }
        func editedTuning(_ change: (inout [String: Any]) -> Void) throws -> String {
            try edited { entry in
                var tuning = entry["tuning"] as? [String: Any] ?? [:]
                change(&tuning)
                entry["tuning"] = tuning
            }
        }
        func merged(_ key: String, _ values: [String: Int]) -> (inout [String: Any]) -> Void {
            { tuning in tuning[key] = (tuning[key] as? [String: Int] ?? [:]).merging(values) { $1 } }
        }
        let xgemm = try XCTUnwrap(OpenCLTuner.xgemmCandidates(maxWorkGroup: 256).first)
        var brokenXgemm = xgemm
        brokenXgemm["MWG"] = 24   // not a multiple of MDIMC * VWM
        let broken: [(String, String)] = [
            ("garbage", "\u{1}not json"), ("truncated", String(text.prefix(text.count / 2))), ("empty", ""),
            ("no account of the measurement", try edited { $0["measured"] = " " }),
            ("measurement key missing", try edited { $0.removeValue(forKey: "measured") }),
            ("device missing", try edited { $0.removeValue(forKey: "device") }),
            ("tuning made for another device", try editedTuning { $0["deviceName"] = "some other device" }),
            ("tuning from another driver", try editedTuning { $0["driverVersion"] = "0.1" }),
            ("format 2", try editedTuning { $0["format"] = 2 }),
            ("WGS 48", try editedTuning(merged("defines", ["WGS": 48]))),
            ("WGS beyond the device", try editedTuning(merged("defines", ["WGS": 8192]))),
            ("GEMM_VW 3", try editedTuning(merged("defines", ["GEMM_VW": 3]))),
            ("unknown define", try editedTuning(merged("defines", ["TILE": 8]))),
            ("WINOGRAD_TILE 3", try editedTuning(merged("host", ["WINOGRAD_TILE": 3]))),
            ("WINOGRAD_MIN_CHANNELS 0", try editedTuning(merged("host", ["WINOGRAD_MIN_CHANNELS": 0]))),
            ("GEMM_KERNELS 2", try editedTuning(merged("host", ["GEMM_KERNELS": 2]))),
            ("broken Xgemm", try editedTuning { $0["clblast"] = ["Xgemm": brokenXgemm] }),
            ("Xgemm missing a parameter", try editedTuning { $0["clblast"] = ["Xgemm": xgemm.filter { $0.key != "SA" }] }),
        ]
        for (label, json) in broken {
            XCTAssertThrowsError(try OpenCLTuningEntry(name: Self.poclEntry, json: json), label) { error in
                XCTAssertTrue("\(error)".contains(Self.poclEntry), "the message names the entry: \(error)")
            }
            let database = OpenCLTuningDatabase(sources: ["\(Self.poclEntry)": json])
            XCTAssertEqual(database.entries, [], label)
            XCTAssertEqual(database.refused.count, 1, label)
            XCTAssertTrue(database.refused.first?.hasPrefix("\(Self.poclEntry): ") == true, "\(label): \(database.refused)")
            XCTAssertNil(database.nearest(to: good.device), "\(label): a refused entry matches nothing")
        }
        // The unbroken text beside a broken one: read, and the broken one alone refused.
        let database = OpenCLTuningDatabase(sources: [Self.poclEntry: text, "zz-broken": try editedTuning(merged("defines", ["WGS": 48]))])
        XCTAssertEqual(database.entries, [good])
        XCTAssertEqual(database.refused.count, 1)
        XCTAssertTrue(database.refused.first?.hasPrefix("zz-broken: ") == true, "\(database.refused)")
    }

    /// The PoCL entry is the one a PoCL device with AVX2 gets (its own device exactly, another
    /// processor of the family by family), and its settings on this run's OpenCL device give
    /// a transfer's evaluation equal to the CPU backend's within the OpenCL-vs-CPU tolerances
    /// of `TransferBackendTests`. On a device of its family the default source picks it too.
    func testShippedPoCLEntryIsSelectedAndMatchesCPU() throws {
        let shipped = OpenCLTuningDatabase.shipped
        let entry = try XCTUnwrap(shipped.entries.first { $0.name == Self.poclEntry })
        XCTAssertEqual(shipped.nearest(to: entry.device)?.entry.name, Self.poclEntry)
        var sibling = entry.device
        sibling.name = "pthread-haswell-AMD Ryzen 9 5950X 16-Core Processor"
        sibling.driverVersion = "3.1+debian-2"
        sibling.computeUnits = 32
        let chosen = try XCTUnwrap(shipped.tuning(for: sibling))
        XCTAssertEqual(chosen.entry.name, Self.poclEntry)
        XCTAssertEqual(chosen.match, .family)
        XCTAssertEqual(chosen.tuning.workGroupSize, entry.tuning.workGroupSize)
        XCTAssertEqual(chosen.tuning.gemmEngine, entry.tuning.gemmEngine)
        XCTAssertEqual(chosen.tuning.winogradMinChannels, entry.tuning.winogradMinChannels)

        let opencl = try OpenCLTestDevice.get()
        let info = opencl.info
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nst-shipped-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let byDefault = OpenCLDevice.tuning(for: info, source: .storedIn(root: root))
        if info.identity.family == entry.device.family {
            XCTAssertEqual(byDefault.origin, .shipped(entry: Self.poclEntry, match: info.name == entry.device.name
                && info.driverVersion == entry.device.driverVersion ? .exact : .family))
        } else {
            print("the OpenCL test device (\(info.identity.family)) is not of the PoCL entry's family; it gets \(byDefault.origin.label)")
        }

        let tuning = entry.tuning(for: info.identity)
        XCTAssertNoThrow(try tuning.validate(for: info))
        let tuned = try OpenCLDevice(info: info, cacheDirectory: TestCache.folder, tuning: .given(tuning))
        tuned.applyCLBlastTuning()
        XCTAssertEqual(tuned.tuning, tuning, "the entry's settings are in effect")
        XCTAssertEqual(tuned.winogradMinChannels, entry.tuning.winogradMinChannels)
        XCTAssertEqual(tuned.winogradTile, entry.tuning.winogradTile)
        XCTAssertEqual(tuned.context.workGroupSize, entry.tuning.workGroupSize ?? 64)

        let (rows, cpuRows) = try TinyProblem.adamRows(on: tuned)
        XCTAssertEqual(rows.count, 4)
        for (name, a, b) in [("total", rows[0].total, cpuRows[0].total), ("style", rows[0].style, cpuRows[0].style),
                             ("content", rows[0].content, cpuRows[0].content), ("tv", rows[0].tv, cpuRows[0].tv)] {
            assertClose(a, b, abs: 1e-12, rel: 1e-4, "row 0 \(name), OpenCL with the shipped PoCL entry vs CPU")
        }
        // The gradient: the VGG stack's tolerance on it is 1e-3 relative; its squared norm doubles that.
        assertClose(rows[0].gradientSquaredNorm, cpuRows[0].gradientSquaredNorm, abs: 0, rel: 2e-3, "row 0 |dJ/dx|^2")
        XCTAssertLessThan(rows.last!.total, rows[0].total)
        assertClose(rows.last!.total, cpuRows.last!.total, abs: 0, rel: 1e-2, "after 3 Adam steps")
    }
}
