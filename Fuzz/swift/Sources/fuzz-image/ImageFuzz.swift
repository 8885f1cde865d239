// ImageFuzz: libFuzzer target: any bytes decoded as an image (sniffing, the C shim, EXIF orientation, Float conversion) either decode or throw.
import FuzzSupport
@testable import NSTImages
import StyleTransfer

/// The decoders' budget: a header claiming a huge image is refused instead of allocated (the
/// real budget is the machine's free memory). A quarter of Fuzz/decode_image.c's 256 MiB, as
/// here each decoded image is copied once or twice more (to a Swift array, turned by EXIF):
/// at 256 MiB a 600-s run peaked at 2019 MB, next to the 2048 MB limit.
private let budget = 64 << 20

private func testOne(_ data: UnsafePointer<UInt8>, _ count: Int) {
    _ = try? Image.decode(Array(UnsafeBufferPointer(start: data, count: count)), path: "fuzz-input", budget: budget)
}

@main
enum Fuzz {
    static func main() {
        runFuzzer(testOne)
    }
}
