// PickleCycleTests: pickles that put a container inside itself are freed and never recursed into forever (found by fuzzing the .pth reader).
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

final class PickleCycleTests: XCTestCase {
    /// `l = []; l.append(l)`: EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP.
    private let selfList: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]

    /// `d = {}; d["state_dict"] = d`: EMPTY_DICT, BINPUT 0, the key, BINGET 0, SETITEM, STOP.
    private var selfWrappedDict: [UInt8] {
        [0x80, 0x02, 0x7D, 0x71, 0x00, 0x58, 10, 0, 0, 0] + Array("state_dict".utf8) + [0x68, 0x00, 0x73, 0x2E]
    }

    /// Before: the list held itself, so reference counting never freed it (LeakSanitizer).
    func testAListThatHoldsItselfIsFreedWhenTheReaderReleasesItsContainers() throws {
        weak var list: PickleList?
        var reader = PickleReader(bytes: selfList)
        do {
            guard case let .list(l) = try reader.read() else { return XCTFail("not a list") }
            XCTAssertTrue(l.items.count == 1)
            list = l
        }
        XCTAssertNotNil(list)
        reader.releaseContainers()
        reader = PickleReader(bytes: [])
        XCTAssertNil(list, "the cycle outlived the reader")
    }

    /// A dict that is its own "state_dict" is unwrapped a few levels, then read as it is
    /// (no tensors), instead of recursing until the stack overflows.
    func testADictThatWrapsItselfIsNotUnwrappedForever() throws {
        let url = try makeScratchFolder("pickle-cycle").appendingPathComponent("self.pth")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try writeZipPth([], to: url, pickle: selfWrappedDict)
        XCTAssertEqual(try PthFile(url: url).keys, [])
    }
}
