// PthFuzz: libFuzzer target: any bytes opened as a PyTorch .pth file (zip or legacy) either parse (every tensor then read) or throw.
import FuzzSupport
import StyleTransfer

private let scratch = ScratchFile(suffix: ".pth")

private func testOne(_ data: UnsafePointer<UInt8>, _ count: Int) {
    guard scratch.write(data, count), let file = try? PthFile(url: scratch.url) else { return }
    // Reading each tensor exercises the stride and storage checks and the storage reads.
    for key in file.keys {
        _ = file.shape(of: key)
        _ = try? file.floats(key)
    }
}

@main
enum Fuzz {
    static func main() {
        runFuzzer(testOne)
    }
}
