// TileMessages: the commands rank 0 broadcasts to the other ranks and the tile results they send back, as bytes.
import NSTCore
import NSTMethod

/// What rank 0 asks of the others; broadcast as four Int64s before any payload.
enum TileCommand: Int64 {
    /// The job is over: the others finalise MPI and exit.
    case done = 0
    /// A new stage: `[height, width, tile side]`, then the content image (`[3, H, W]` floats).
    case begin = 1
    /// Pass 1: then the image (`[3, H, W]` floats).
    case grams = 2
    /// Pass 2 at the same image: `[differences, content scales, style scales]` counts, then those floats.
    case gradients = 3
}

/// Appends numbers to a byte buffer (native byte order: every rank of a job runs the same build on the same kind of machine).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int(_ value: Int) { withUnsafeBytes(of: Int64(value)) { bytes += $0 } }

    mutating func values<T: BitwiseCopyable>(_ values: [T]) {
        int(values.count)
        values.withUnsafeBytes { bytes += $0 }
    }
}

/// Reads what `ByteWriter` wrote; throws on a short or malformed buffer instead of trapping.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private static func malformed() -> DeviceError { DeviceError.backend("MPI: a malformed tile result arrived") }

    mutating func int() throws -> Int {
        guard bytes.count - offset >= 8 else { throw Self.malformed() }
        var value: Int64 = 0
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<offset + 8]) }
        offset += 8
        guard let result = Int(exactly: value) else { throw Self.malformed() }
        return result
    }

    mutating func values<T: BitwiseCopyable>(_: T.Type) throws -> [T] {
        let count = try int(), stride = MemoryLayout<T>.stride
        guard count >= 0, count <= (bytes.count - offset) / stride else { throw Self.malformed() }
        var result: [T] = []
        result.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { result.append(raw.loadUnaligned(fromByteOffset: offset + i * stride, as: T.self)) }
        }
        offset += count * stride
        return result
    }
}

extension TileGrams {
    func write(to writer: inout ByteWriter) {
        writer.int(grams.count)
        for (gram, positions) in zip(grams, self.positions) {
            writer.int(positions)
            writer.values(gram)
        }
    }

    static func read(from reader: inout ByteReader) throws -> TileGrams {
        let layers = try reader.int()
        guard layers >= 0, layers < 1 << 16 else { throw DeviceError.backend("MPI: a malformed tile result arrived") }
        var result = TileGrams(grams: [], positions: [])
        for _ in 0..<layers {
            result.positions.append(try reader.int())
            result.grams.append(try reader.values(Float.self))
        }
        return result
    }
}

extension TileGradient {
    func write(to writer: inout ByteWriter) {
        writer.values(gradient)
        writer.values(content)
    }

    static func read(from reader: inout ByteReader) throws -> TileGradient {
        TileGradient(gradient: try reader.values(Float.self), content: try reader.values(Double.self))
    }
}
