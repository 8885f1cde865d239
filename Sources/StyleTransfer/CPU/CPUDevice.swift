// CPUDevice: the reference backend (placeholder while being written).
import Foundation
public final class CPUDevice {
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
