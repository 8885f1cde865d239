// Devices: `nst devices`, listing the compute backends this machine offers.
import ArgumentParser
import StyleTransfer

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the OpenCL platforms and devices found, and the CPU backend.")

    func run() throws {
        print("cpu: CPU backend (\(CPUDevice.coreCount) cores)")
    }
}
