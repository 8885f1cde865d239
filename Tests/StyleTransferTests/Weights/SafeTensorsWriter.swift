// SafeTensorsWriter: builds .safetensors files (valid or deliberately broken) for the reader tests.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer

/// One tensor to write: values stored as F32 or F16, with header fields that tests may falsify.
struct TestTensor {
    var key: String
    var shape: [Int]
    var values: [Float]
    var dtype = "F32"
    /// Overrides the real data_offsets in the header.
    var offsets: [Int]?
}

/// Writes a safetensors file from `tensors`; `mutateHeader` may edit the JSON text and
/// `headerLength` overrides the 8-byte length field.
func safetensorsData(_ tensors: [TestTensor], metadata: [String: String]? = nil,
                     mutateHeader: (String) -> String = { $0 }, headerLength: UInt64? = nil) -> Data {
    var body = Data()
    var entries: [String] = []
    for t in tensors {
        let begin = body.count
        for v in t.values {
            if t.dtype == "F16" {
                var bits = Half.fromFloat(v).littleEndian
                body.append(Data(bytes: &bits, count: 2))
            } else {
                var bits = v.bitPattern.littleEndian
                body.append(Data(bytes: &bits, count: 4))
            }
        }
        let offsets = t.offsets ?? [begin, body.count]
        entries.append("\"\(t.key)\":{\"dtype\":\"\(t.dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offsets[0]),\(offsets[1])]}")
    }
    if let metadata {
        entries.insert("\"__metadata__\":{" + metadata.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}", at: 0)
    }
    let header = Data(mutateHeader("{" + entries.joined(separator: ",") + "}").utf8)
    var length = (headerLength ?? UInt64(header.count)).littleEndian
    return Data(bytes: &length, count: 8) + header + body
}

/// The conv1_1 and conv1_2 tensors of VGG-19 (depth 4) with seeded values.
func blockOneTensors(dtype: String = "F32") -> [TestTensor] {
    var data = TestData(seed: 5)
    return [
        TestTensor(key: "features.0.weight", shape: [64, 3, 3, 3], values: data.uniform(64 * 27), dtype: dtype),
        TestTensor(key: "features.0.bias", shape: [64], values: data.uniform(64), dtype: dtype),
        TestTensor(key: "features.2.weight", shape: [64, 64, 3, 3], values: data.uniform(64 * 64 * 9), dtype: dtype),
        TestTensor(key: "features.2.bias", shape: [64], values: data.uniform(64), dtype: dtype),
    ]
}
