// CaffeModelFuzz: libFuzzer target: any bytes opened as a .caffemodel either parse (every blob then read) or throw.
import FuzzSupport
import StyleTransfer

private let scratch = ScratchFile(suffix: ".caffemodel")

private func testOne(_ data: UnsafePointer<UInt8>, _ count: Int) {
    guard scratch.write(data, count), let file = try? CaffeModelFile(url: scratch.url) else { return }
    // Reading each convolution's weight and bias exercises the BlobProto parser.
    for name in file.convolutionNames {
        for index in 0..<2 { _ = try? file.blob(layer: name, index: index) }
    }
}

@main
enum Fuzz {
    static func main() {
        runFuzzer(testOne)
    }
}
