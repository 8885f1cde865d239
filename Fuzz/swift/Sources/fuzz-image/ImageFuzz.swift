// ImageFuzz: libFuzzer target: any bytes decoded as an image (sniffing, the C shim, EXIF orientation, Float conversion) either decode or throw.
import FuzzSupport
@testable import StyleTransfer

/// The decoders' budget, as in Fuzz/decode_image.c: a header claiming a huge image is
/// refused instead of allocated (the real budget is the machine's free memory).
private let budget = 256 << 20

private func testOne(_ data: UnsafePointer<UInt8>, _ count: Int) {
    _ = try? Image.decode(Array(UnsafeBufferPointer(start: data, count: count)), path: "fuzz-input", budget: budget)
}

@main
enum Fuzz {
    static func main() {
        runFuzzer { data, count in
            if let data { testOne(data, count) }
            return 0
        }
    }
}
