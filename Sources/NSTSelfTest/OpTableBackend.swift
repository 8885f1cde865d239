// OpTableBackend: the devices one backend runs the op table on, one per convolution path (plain, banded, both Winograd variants).
import Foundation
import NSTCore
import NSTCPU
import NSTOpenCL

/// A backend under test: one device per code path a case can ask for.
public struct OpTableBackend {
    /// What the report calls the backend (`cpu`, or the OpenCL device's name).
    public var name: String
    var plain: Device
    var banded: Device
    var winograd: Device
    var winograd2x2: Device

    init(name: String, plain: Device, banded: Device, winograd: Device, winograd2x2: Device) {
        (self.name, self.plain, self.banded, self.winograd, self.winograd2x2) = (name, plain, banded, winograd, winograd2x2)
    }

    func device(_ path: ConvPath) -> Device {
        switch path {
        case .plain: return plain
        case .banded: return banded
        case .winograd: return winograd
        case .winograd2x2: return winograd2x2
        }
    }

    /// The CPU backend: as opened, with a 40-float column budget (one output row per band),
    /// and with Winograd from 16 channels (its default, stated here so the case cannot drift)
    /// in each variant: F(4x4, 3x3), the default, and F(2x2, 3x3).
    public static func cpu() -> OpTableBackend {
        OpTableBackend(name: "cpu", plain: CPUDevice(), banded: CPUDevice(columnBudget: 40),
                       winograd: CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16, winogradTile: .f4x4),
                       winograd2x2: CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16, winogradTile: .f2x2))
    }

    /// An OpenCL device as given (`plain`: as `nst` opened it, with its tuning), its banded
    /// twin (untuned, im2col budget 90 floats, so small convolutions take several bands), and
    /// two tuned to take Winograd from 16 summed channels (the untuned default never does):
    /// F(4x4, 3x3) and F(2x2, 3x3). The twins share `plain`'s driver and program cache.
    /// - Throws: the driver's error when a twin cannot be opened.
    public static func opencl(_ plain: OpenCLDevice, cacheDirectory: URL? = nil) throws -> OpTableBackend {
        let info = plain.info
        func winograd(_ tile: OpenCLWinogradTile) throws -> OpenCLDevice {
            try OpenCLDevice(info: info, cacheDirectory: cacheDirectory,
                             tuning: .given(OpenCLTuning(info: info, winogradMinChannels: 16, winogradTile: tile)))
        }
        return OpTableBackend(name: info.name, plain: plain,
                              banded: try OpenCLDevice(info: info, im2colLimit: 90, cacheDirectory: cacheDirectory, tuning: .none),
                              winograd: try winograd(.f4x4), winograd2x2: try winograd(.f2x2))
    }
}
