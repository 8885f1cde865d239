// DeviceSelectionTests: parsing --device, the auto rule, and opening devices by name.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class DeviceSelectionTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try DeviceChoice(parsing: "auto"), .auto)
        XCTAssertEqual(try DeviceChoice(parsing: "cpu"), .cpu)
        XCTAssertEqual(try DeviceChoice(parsing: "OpenCL"), .opencl(nil))
        XCTAssertEqual(try DeviceChoice(parsing: "opencl:2"), .opencl(2))
        for bad in ["", "gpu", "opencl:", "opencl:-1", "opencl:x", "cpu:0"] {
            XCTAssertThrowsError(try DeviceChoice(parsing: bad), bad) { error in
                XCTAssertTrue("\(error)".contains("--device"), "\(error)")
                XCTAssertTrue("\(error)".contains("opencl:N"), "\(error)")
            }
        }
    }

    func testCPUChoiceAndAutoRule() throws {
        XCTAssertTrue(try DeviceSelection.makeDevice("cpu") is CPUDevice)
        let devices = (try? OpenCLDeviceInfo.all()) ?? []
        let auto = try DeviceSelection.makeDevice("auto")
        if let gpu = devices.first(where: \.isGPU) {
            XCTAssertEqual(DeviceSelection.autoPick(devices)?.index, gpu.index)
            XCTAssertEqual(auto.name, "opencl: \(gpu.name)")
        } else {
            XCTAssertNil(DeviceSelection.autoPick(devices))
            XCTAssertTrue(auto is CPUDevice, "auto must fall back to the CPU backend without an OpenCL GPU")
        }
    }

    func testIndexesFollowTheListing() throws {
        let devices = (try? OpenCLDeviceInfo.all()) ?? []
        XCTAssertEqual(devices.map(\.index), Array(devices.indices))
        XCTAssertThrowsError(try DeviceSelection.makeDevice("opencl:\(devices.count)")) { error in
            guard case DeviceError.invalidArgument(let op, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "--device")
        }
    }
}
