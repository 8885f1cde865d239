// SafeTensorsFuzz: libFuzzer target: any bytes opened as a .safetensors file either parse (every tensor then read) or throw.
import FuzzSupport
import StyleTransfer

private let scratch = ScratchFile(suffix: ".safetensors")

private func testOne(_ data: UnsafePointer<UInt8>, _ count: Int) {
    guard scratch.write(data, count), let file = try? SafeTensorsFile(url: scratch.url) else { return }
    // Reading each tensor exercises the entry validation and the F16/F32 conversion.
    for key in file.keys { _ = try? file.floats(key) }
}

@main
enum Fuzz {
    static func main() {
        runFuzzer(testOne)
    }
}
