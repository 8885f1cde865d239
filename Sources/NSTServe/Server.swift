// Server: `nst serve` running: the jobs' store and workers, the HTTP server on its address, and the stop that ends running jobs as `nst transfer` ends a run.
import FlyingFox
import FlyingSocks
import Foundation
import NSTCore
import StyleTransfer

/// A running server (README "Web interface").
public enum Server {
    /// Serves until `stop` is requested: then running jobs stop as a transfer stops (their
    /// image and log written), the workers end and the listener closes. `ready` is called
    /// with the page's URL once the server listens.
    /// - Throws: `TransferError.option` for bad settings or an address that cannot be used.
    public static func run(_ options: ServeOptions, stop: StopRequest, ready: (String) -> Void) throws {
        try options.check()
        let store = try JobStore(folder: options.dataFolder)
        let address: any SocketAddress
        do {
            switch options.host {
            case "localhost": address = try sockaddr_in.inet(ip4: "127.0.0.1", port: options.port)
            case let host where host.contains(":"): address = try sockaddr_in6.inet6(ip6: host, port: options.port)
            default: address = try sockaddr_in.inet(ip4: options.host, port: options.port)
            }
        } catch {
            throw TransferError.option("--host", "'\(options.host)' is not an IPv4 or IPv6 address (or localhost)")
        }
        let server = HTTPServer(address: address, timeout: 60, logger: .disabled, handler: ServeHandler(options: options, store: store))
        let task = Task { try await server.run() }
        // The listener is ready (and its port known) before the URL is printed.
        let listening = DispatchSemaphore(value: 0)
        let box = AddressBox()
        Task {
            do {
                try await server.waitUntilListening(timeout: 5)
                box.address = await server.listeningAddress
            } catch {}
            listening.signal()
        }
        listening.wait()
        let port: UInt16
        switch box.address {
        case let .ip4(_, p)?, let .ip6(_, p)?: port = p
        default:
            task.cancel()
            throw TransferError.option("--port", "cannot listen on \(options.host):\(options.port) (in use, or not an address of this machine)")
        }
        let workers = options.devices.map { JobWorker(store: store, choice: $0, autotune: options.autotune) }
        workers.forEach { $0.start() }
        let shownHost = options.host.contains(":") ? "[\(options.host)]" : options.host
        ready("http://\(shownHost):\(port)/")
        while stop.signal == nil { usleep(100_000) }
        // As nst transfer: each running job stops after its iteration and writes what it has.
        for job in store.close() { _ = job.stop.request(signal: stop.signal ?? SIGTERM) }
        workers.forEach { $0.wait() }
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await server.stop(timeout: 1)
            stopped.signal()
        }
        _ = stopped.wait(timeout: .now() + 3)
        task.cancel()
    }
}

/// The listening address, handed from the task that waits for it.
private final class AddressBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Socket.Address?
    var address: Socket.Address? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
