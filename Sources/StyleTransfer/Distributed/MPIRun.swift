// MPIRun: a transfer distributed over MPI (`TransferOption.distributed`): one process of the job, its share of a batch, or its tiles of one image.
import Foundation
import NSTCore

/// A transfer run as one rank of an MPI job (`nst transfer` started by `mpirun -np N` or by
/// `srun` under Slurm, with `TransferOption.distributed`). With several contents, the ranks split them (rank r takes shard
/// r+1 of N) and each runs its own as a batch. With one content, its tiles are spread over
/// the ranks: rank 0 reads the inputs, holds the image and the optimiser's state, and writes
/// every output; the others compute their tiles of each pass (`MPIWorker`). The result does
/// not depend on the number of ranks (the tiles' results are combined in the grid's order).
package enum MPIRun {
    /// Runs this rank's part. `makeDevices` gets the node-local rank (for choosing a GPU).
    /// Returns this rank's batch summary (several contents), or nil (one content).
    /// - Throws: the errors of a run; on ranks other than 0 an error ends the whole job.
    package static func run(_ options: TransferOptions, contents: [String], skipExisting: Bool, stop: StopRequest?,
                            report: (String, any Error) -> Void,
                            makeDevices: (_ localRank: Int) throws -> [any Device]) throws -> BatchSummary? {
        let mpi = try MPIRuntime()
        defer { mpi.finalize() }
        if contents.count > 1 {
            let share = try Shard(index: mpi.rank + 1, count: mpi.size).of(contents)
            guard !share.isEmpty else { return BatchSummary() }
            return try TransferBatch.run(options, contents: share, skipExisting: skipExisting, stop: stop, report: report,
                                         makeDevices: { try makeDevices(mpi.localRank) })
        }
        guard let content = contents.first else { throw TransferError.invalid(.content, "names no content image") }
        guard options.large.tile != nil else {
            throw TransferError.invalid(.distributed, "spreads one image's tiles over the ranks; give \(TransferOption.tile) (or several contents)")
        }
        let item = BatchPaths.item(options, content: content)
        guard mpi.rank == 0 else {
            do {
                let plan = try TransferPlan(item)
                try MPIWorker.serve(mpi, plan: plan, weights: plan.loadWeights(), devices: makeDevices(mpi.localRank))
            } catch {
                // A rank that cannot go on ends the job: rank 0 would wait for its tiles forever.
                Console.error("nst: error: rank \(mpi.rank): \(error)\n")
                mpi.abort(1)
            }
            return nil
        }
        let tiles = MPITiles(mpi)
        do {
            try TransferRunner.run(item, stop: stop, remote: tiles, makeDevices: { try makeDevices(mpi.localRank) })
        } catch {
            try? tiles.finish()
            throw error
        }
        try tiles.finish()
        if !options.quiet, tiles.evaluations > 0 {
            let perEvaluation = { (bytes: Int) in String(format: "%.2f MB", Double(bytes) / Double(tiles.evaluations) / 1e6) }
            Console.error("nst: mpi: \(mpi.size) ranks; rank 0 sent \(perEvaluation(mpi.bytesSent)) and received \(perEvaluation(mpi.bytesReceived)) per evaluation\n")
        }
        return nil
    }
}
