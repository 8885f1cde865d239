// MPIWorker: what a rank other than 0 does in a distributed run: its tiles of each pass, on its own devices, until rank 0 says the job is done.
import NSTCore
import NSTMethod
import NSTWeights

/// A rank other than 0 of a distributed run (`TransferOption.distributed`). It holds no image and no optimiser
/// state: for each stage it makes workers for the grid rank 0 announces and the content
/// targets of its own tiles (tile `t` is rank `t % size`'s); for each evaluation it runs
/// pass 1 and pass 2 of those tiles and sends the results to rank 0.
enum MPIWorker {
    /// A count or size rank 0 announced, checked before anything is allocated for it.
    private static func count(_ value: Int64) throws -> Int {
        guard value >= 0, value <= 1 << 36 else { throw DeviceError.backend("MPI: rank 0 announced \(value)") }
        return Int(value)
    }

    /// Sends rank 0 this rank's results of a pass: their count, then (tile index, result) pairs.
    private static func reply<R>(_ mpi: MPIRuntime, _ tiles: [Tile], _ results: [R], _ write: (R, inout ByteWriter) -> Void) throws {
        var writer = ByteWriter()
        writer.int(tiles.count)
        for (tile, result) in zip(tiles, results) {
            writer.int(tile.index)
            write(result, &writer)
        }
        try mpi.send(writer.bytes, to: 0)
    }

    /// Serves rank 0 until it broadcasts `done`.
    /// - Throws: device and MPI errors (the caller then aborts the job).
    static func serve(_ mpi: MPIRuntime, plan: TransferPlan, weights: VGGWeights, devices: [any Device]) throws {
        let spec = plan.objective
        var stage: (grid: TileGrid, workers: [TileWorker], targets: [Int: [[Float]]], pixels: [Float])?
        while true {
            var header = [Int64](repeating: 0, count: 4)
            try mpi.broadcast(&header)
            guard let command = TileCommand(rawValue: header[0]) else { throw DeviceError.backend("MPI: unknown command \(header[0])") }
            switch command {
            case .done:
                return
            case .begin:
                let size = ImageSize(height: try count(header[1]), width: try count(header[2]))
                var received = [Float](repeating: 0, count: 3 * size.height * size.width)
                try mpi.broadcast(&received)
                let content = received
                let grid = TileGrid(size: size, model: spec.model, depth: spec.depth, tileSide: try count(header[3]))
                let workers = try devices.map {
                    try TileWorker(device: $0, weights: weights, pooling: spec.pooling, depth: spec.depth, grid: grid,
                                   content: spec.content, style: spec.style, styleLoss: spec.styleLoss)
                }
                let mine = grid.tiles.filter { $0.index % mpi.size == mpi.rank }
                let targets = try TileScheduler.run(mine, on: workers) { worker, tile in
                    try worker.activations(tile, pixels: HostImage.crop(content, channels: 3, size: size, tile.crop),
                                           grid: grid, layers: spec.content.indices)
                }
                stage = (grid, workers, Dictionary(uniqueKeysWithValues: zip(mine.map(\.index), targets)), [])
            case .grams:
                guard var current = stage else { throw DeviceError.backend("MPI: a pass before any stage") }
                var received = [Float](repeating: 0, count: 3 * current.grid.size.height * current.grid.size.width)
                try mpi.broadcast(&received)
                let pixels = received
                current.pixels = pixels
                stage = current
                for worker in current.workers { worker.beginEvaluation() }
                let grid = current.grid, size = grid.size, mine = grid.tiles.filter { $0.index % mpi.size == mpi.rank }
                let results = try TileScheduler.run(mine, on: current.workers) { worker, tile in
                    try worker.grams(tile, pixels: HostImage.crop(pixels, channels: 3, size: size, tile.crop), grid: grid)
                }
                try reply(mpi, mine, results) { $0.write(to: &$1) }
            case .gradients:
                guard let current = stage else { throw DeviceError.backend("MPI: a pass before any stage") }
                var d = [Float](repeating: 0, count: try count(header[1]))
                var c = [Float](repeating: 0, count: try count(header[2])), s = [Float](repeating: 0, count: try count(header[3]))
                try mpi.broadcast(&d)
                try mpi.broadcast(&c)
                try mpi.broadcast(&s)
                let differences = d, scales = c, styleScales = s
                let grid = current.grid, size = grid.size, pixels = current.pixels
                let mine = grid.tiles.filter { $0.index % mpi.size == mpi.rank }
                // The flat lists back in their shapes: C x C per style layer ((C+1)^2 with W2),
                // content layers per tile.
                var split: [[Float]] = [], offset = 0
                for layer in spec.style.indices {
                    let c = spec.model.outputChannels(of: layer) + (spec.styleLoss.augmented ? 1 : 0)
                    guard offset + c * c <= differences.count else { throw DeviceError.backend("MPI: short Gram differences") }
                    split.append(Array(differences[offset..<offset + c * c]))
                    offset += c * c
                }
                let perTile = spec.content.indices.count
                guard scales.count == perTile * grid.tiles.count else { throw DeviceError.backend("MPI: content scales do not match the grid") }
                for worker in current.workers { try worker.setDifferences(split) }
                let targets = current.targets
                let results = try TileScheduler.run(mine, on: current.workers) { worker, tile in
                    try worker.gradient(tile, pixels: HostImage.crop(pixels, channels: 3, size: size, tile.crop), grid: grid,
                                        targets: targets[tile.index] ?? [],
                                        contentScales: Array(scales[tile.index * perTile..<(tile.index + 1) * perTile]),
                                        styleScales: styleScales)
                }
                try reply(mpi, mine, results) { $0.write(to: &$1) }
            }
        }
    }
}
