// TransferDevice: `--device` for `nst transfer` (TEMPORARY until the library's device selection lands).
import ArgumentParser
import StyleTransfer

/// The `--device` choices.
enum TransferDeviceChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, cpu, opencl
}

/// Makes the backend chosen by `--device`.
func makeTransferDevice(_ choice: TransferDeviceChoice) throws -> any Device {
    switch choice {
    case .auto, .cpu: return CPUDevice()
    case .opencl: throw TransferError.option("--device", "opencl: the OpenCL backend is not built into this version")
    }
}
