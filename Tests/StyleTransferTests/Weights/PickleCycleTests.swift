// PickleCycleTests: pickles that put a container inside itself, or chain lists far deeper than their recorded depth, are freed without recursing and never unwrapped forever (found by fuzzing the .pth reader).
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

    /// Rounds of `k` lists nested inner first (MARK x (k - 1), EMPTY_LIST, LIST x (k - 1)),
    /// each round's innermost list then given the previous round's outermost (memo, APPEND):
    /// every list's recorded depth stays at most k + 1, but the chain is `rounds * k` deep.
    private func chainedLists(k: Int, rounds: Int) -> [UInt8] {
        var p = PickleBytes()
        func memo(_ op: UInt8, _ key: Int) { p.op(op); p.int32(key) }
        for r in 0..<rounds {
            p.bytes += [UInt8](repeating: 0x28, count: k - 1) + [0x5D]
            memo(0x72, 2 * r)                                               // LONG_BINPUT: the innermost
            p.bytes += [UInt8](repeating: 0x6C, count: k - 1)
            memo(0x72, 2 * r + 1)                                           // the outermost
            if r > 0 { memo(0x6A, 2 * r); memo(0x6A, 2 * r - 1); p.op(0x61) }   // LONG_BINGET both, APPEND
        }
        memo(0x6A, 2 * rounds - 1)
        p.stop()
        return p.bytes
    }

    /// Before: the reader's last copy released its lists in the order it made them; a chain
    /// made inner first then freed each list from inside the one holding it, 75,000 deep,
    /// and the stack overflowed (SIGSEGV) unless the caller had called `releaseContainers`.
    func testListsChainedPastTheirRecordedDepthAreFreedFlatWhenTheReaderGoes() throws {
        let bytes = chainedLists(k: 150, rounds: 500)
        do {
            var reader = PickleReader(bytes: bytes)
            guard case let .list(top) = try reader.read() else { return XCTFail("not a list") }
            XCTAssertLessThanOrEqual(top.depth, PickleReader.maxDepth)
        }
        // Reaching this line is the test: the reader and its lists are gone.
        var reader = PickleReader(bytes: selfList)
        XCTAssertNotNil(try reader.read().items)
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
