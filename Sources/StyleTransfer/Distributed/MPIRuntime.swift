// MPIRuntime: Open MPI's C interface loaded at run time (dlopen), so no build links MPI and a run that is not distributed starts no MPI runtime.
import Foundation
import NSTCore
#if canImport(Glibc)
import Glibc
#endif

/// This process's place in an MPI job (`mpirun -np N nst ...`, or Slurm's `srun`), with the
/// few calls the distributed run needs: broadcasts from rank 0, messages to rank 0, abort.
///
/// Open MPI is opened with dlopen and its symbols looked up by name (its handles
/// `MPI_COMM_WORLD` and `MPI_BYTE` are the addresses of `ompi_mpi_comm_world` and
/// `ompi_mpi_byte`), so building nst needs no MPI headers or library, and only
/// a distributed run (`TransferOption.distributed`) loads it. Everything travels as bytes, in pieces of at most 1 GiB
/// (MPI counts are 32-bit).
final class MPIRuntime {
    private typealias Handle = UnsafeMutableRawPointer
    private typealias InitFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private typealias CommIntFn = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    private typealias BcastFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    private typealias SendFn = @convention(c) (UnsafeRawPointer?, Int32, Handle, Int32, Int32, Handle) -> Int32
    private typealias RecvFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Int32, Handle, UnsafeMutableRawPointer?) -> Int32
    private typealias FinalizeFn = @convention(c) () -> Int32
    private typealias AbortFn = @convention(c) (Handle, Int32) -> Int32

    /// This process's rank (0: the home, which reads the inputs and writes the outputs) and the job's size.
    let rank: Int, size: Int
    /// The rank among the processes on this machine (for choosing a GPU).
    let localRank: Int
    /// Bytes this process has broadcast or sent, and received.
    private(set) var bytesSent = 0, bytesReceived = 0

    private let comm: Handle, byte: Handle
    private let bcastFn: BcastFn, sendFn: SendFn, recvFn: RecvFn, finalizeFn: FinalizeFn, abortFn: AbortFn
    private var finalized = false
    /// The largest piece one call moves.
    private static let piece = 1 << 30

    /// Loads Open MPI and initialises it.
    /// - Throws: `TransferError.option` naming the distributed option when the library
    ///   cannot be loaded or the job cannot start.
    init() throws {
        let names = ["libmpi.so.40", "libmpi.so"]
        guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            throw TransferError.invalid(.distributed, "cannot load Open MPI (\(names.joined(separator: ", "))): install it (Debian: openmpi-bin) and start nst with mpirun or srun")
        }
        func symbol<T>(_ name: String, as: T.Type) throws -> T {
            guard let pointer = dlsym(library, name) else {
                throw TransferError.invalid(.distributed, "the MPI library has no \(name); nst needs Open MPI")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        guard let comm = dlsym(library, "ompi_mpi_comm_world"), let byte = dlsym(library, "ompi_mpi_byte") else {
            throw TransferError.invalid(.distributed, "the MPI library is not Open MPI's (no ompi_mpi_comm_world); nst needs Open MPI")
        }
        self.comm = comm
        self.byte = byte
        bcastFn = try symbol("MPI_Bcast", as: BcastFn.self)
        sendFn = try symbol("MPI_Send", as: SendFn.self)
        recvFn = try symbol("MPI_Recv", as: RecvFn.self)
        finalizeFn = try symbol("MPI_Finalize", as: FinalizeFn.self)
        abortFn = try symbol("MPI_Abort", as: AbortFn.self)
        let initialize = try symbol("MPI_Init", as: InitFn.self)
        let commRank = try symbol("MPI_Comm_rank", as: CommIntFn.self), commSize = try symbol("MPI_Comm_size", as: CommIntFn.self)
        guard initialize(nil, nil) == 0 else { throw TransferError.invalid(.distributed, "MPI_Init failed") }
        var rank: Int32 = 0, size: Int32 = 0
        _ = commRank(comm, &rank)
        _ = commSize(comm, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        let environment = ProcessInfo.processInfo.environment
        localRank = (environment["OMPI_COMM_WORLD_LOCAL_RANK"] ?? environment["SLURM_LOCALID"]).flatMap { Int($0) } ?? 0
    }

    /// Ends MPI (once); every rank must call it.
    func finalize() {
        guard !finalized else { return }
        finalized = true
        _ = finalizeFn()
    }

    /// Ends the whole job at once with `code` (a rank that cannot go on).
    func abort(_ code: Int32) -> Never {
        _ = abortFn(comm, code)
        exit(code)
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == 0 else { throw DeviceError.backend("MPI \(what) failed (error \(status))") }
    }

    /// Broadcasts `count` bytes at `buffer` from rank 0 to every rank.
    private func bcast(_ buffer: UnsafeMutableRawPointer, count: Int) throws {
        var offset = 0
        while offset < count {
            let n = min(Self.piece, count - offset)
            try check(bcastFn(buffer + offset, Int32(n), byte, 0, comm), "broadcast")
            offset += n
        }
        if rank == 0 { bytesSent += count * (size - 1) } else { bytesReceived += count }
    }

    /// Rank 0: sends `values` to every rank; the others: receive them (`values` must have the right count).
    func broadcast<T: BitwiseCopyable>(_ values: inout [T]) throws {
        let count = values.count * MemoryLayout<T>.stride
        guard count > 0 else { return }
        try values.withUnsafeMutableBytes { try bcast($0.baseAddress!, count: $0.count) }
    }

    /// Sends `bytes` to `destination` (a length, then the bytes).
    func send(_ bytes: [UInt8], to destination: Int) throws {
        var length = Int64(bytes.count)
        try withUnsafeBytes(of: &length) { try check(sendFn($0.baseAddress, 8, byte, Int32(destination), 1, comm), "send") }
        var offset = 0
        try bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = min(Self.piece, buffer.count - offset)
                try check(sendFn(buffer.baseAddress! + offset, Int32(n), byte, Int32(destination), 2, comm), "send")
                offset += n
            }
        }
        bytesSent += bytes.count + 8
    }

    /// Receives what `send` sent from `source`.
    func receive(from source: Int) throws -> [UInt8] {
        var length: Int64 = 0
        try withUnsafeMutableBytes(of: &length) { try check(recvFn($0.baseAddress, 8, byte, Int32(source), 1, comm, nil), "receive") }
        guard length >= 0, length < Int64(Int.max / 2) else { throw DeviceError.backend("MPI: rank \(source) announced \(length) bytes") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        var offset = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while offset < buffer.count {
                let n = min(Self.piece, buffer.count - offset)
                try check(recvFn(buffer.baseAddress! + offset, Int32(n), byte, Int32(source), 2, comm, nil), "receive")
                offset += n
            }
        }
        bytesReceived += bytes.count + 8
        return bytes
    }
}
