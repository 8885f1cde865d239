// MPITiles: rank 0's side of a tiled evaluation spread over an MPI job: commands and images out by broadcast, tile results back by message.
import NSTCore
import NSTMethod

/// The other ranks of an MPI job as `RemoteTiles`: rank 0 broadcasts each stage's content
/// image, each evaluation's image and the pass-2 inputs, and receives each rank's tile
/// results in rank order; the objective puts them in the grid's order.
final class MPITiles: RemoteTiles {
    let mpi: MPIRuntime
    var processes: Int { mpi.size }
    /// Evaluations so far, for the bytes-per-evaluation figure.
    private(set) var evaluations = 0

    init(_ mpi: MPIRuntime) { self.mpi = mpi }

    private func command(_ command: TileCommand, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0) throws {
        var header: [Int64] = [command.rawValue, Int64(a), Int64(b), Int64(c)]
        try mpi.broadcast(&header)
    }

    func begin(grid: TileGrid, content: [Float]) throws {
        try command(.begin, grid.size.height, grid.size.width, grid.tileSide)
        var pixels = content
        try mpi.broadcast(&pixels)
    }

    func sendGrams(pixels: [Float]) throws {
        evaluations += 1
        try command(.grams)
        var copy = pixels
        try mpi.broadcast(&copy)
    }

    func receiveGrams() throws -> [Int: TileGrams] {
        try receive { try TileGrams.read(from: &$0) }
    }

    func sendGradients(differences: [[Float]], contentScales: [[Float]], styleScales: [Float]) throws {
        var d = differences.flatMap { $0 }, c = contentScales.flatMap { $0 }, s = styleScales
        try command(.gradients, d.count, c.count, s.count)
        try mpi.broadcast(&d)
        try mpi.broadcast(&c)
        try mpi.broadcast(&s)
    }

    func receiveGradients() throws -> [Int: TileGradient] {
        try receive { try TileGradient.read(from: &$0) }
    }

    /// Every other rank's results: a count, then (tile index, result) pairs.
    private func receive<R>(_ read: (inout ByteReader) throws -> R) throws -> [Int: R] {
        var results: [Int: R] = [:]
        for rank in 1..<max(mpi.size, 1) {
            var reader = ByteReader(try mpi.receive(from: rank))
            let count = try reader.int()
            for _ in 0..<max(count, 0) {
                let index = try reader.int()
                guard index % mpi.size == rank else { throw DeviceError.backend("MPI: rank \(rank) sent tile \(index), not one of its own") }
                results[index] = try read(&reader)
            }
        }
        return results
    }

    /// Tells the other ranks the job is over (then every rank finalises MPI).
    func finish() throws { try command(.done) }
}
