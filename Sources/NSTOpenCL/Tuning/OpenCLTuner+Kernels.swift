// OpenCLTuner+Kernels: choosing the work-group size (WGS) of the project's own kernels by timing them.
import COpenCL
import Dispatch
import Foundation
import NSTCore

extension OpenCLTuner {
    /// Seconds of the project's kernels on activations like those of an evaluation at
    /// `size` (im2col of a block-2 convolution, ReLU and its gradient, max pooling and its
    /// gradient, a loss with its reduction), median of three runs after a warm-up.
    public func kernelSeconds(on device: OpenCLDevice, size: Int) throws -> Double {
        let side = max(size / 2, 2)
        let shape = Shape(128, side, side)
        let x = try device.makeTensor(shape), y = try device.makeTensor(shape), dy = try device.makeTensor(shape)
        let pooled = try device.makeTensor(Shape(128, side / 2, side / 2))
        try device.fill(x, with: 0.25)
        let g = try ConvGeometry(op: "tune", input: shape, weight: Shape(128, 128, 3, 3), bias: nil, output: shape, padding: 1)
        let rows = max(1, min(side, device.im2colLimit / (128 * 9 * side)))
        let col = try device.scratchBuffer(count: 128 * 9 * rows * side)
        let slots = try device.makeLossSlots(count: 1)
        func once() throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try device.im2col(g, input: try device.buffer(x, "tune"), col: col, oy0: 0, rows: rows)
            try device.relu(input: x, output: y)
            try device.reluGradient(output: y, outputGradient: x, inputGradient: dy)
            try device.pool2x2(.max, input: y, output: pooled)
            try device.pool2x2Gradient(.max, input: y, outputGradient: pooled, inputGradient: dy)
            try device.contentLoss(generated: x, target: y, gradient: dy, scale: 1, into: slots, at: 0)
            try device.synchronize()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = try once()
        return [try once(), try once(), try once()].sorted()[1]
    }

    /// The work-group size (a power of two from 16 to 256, within the device limit) whose
    /// kernels run fastest, with the seconds of each size tried. Each size builds the
    /// programs once (cached on disk like any build).
    public func searchWorkGroupSize(info: OpenCLDeviceInfo, size: Int) throws -> (best: Int, seconds: [Int: Double]) {
        var seconds: [Int: Double] = [:]
        for wgs in [16, 32, 64, 128, 256] where wgs <= info.maxWorkGroupSize {
            let device = try OpenCLDevice(info: info, workGroupSize: wgs, tuning: .none)
            try device.prepareKernels()
            seconds[wgs] = try kernelSeconds(on: device, size: size)
            log(String(format: "  WGS=%d: %.1f ms for the kernel mix", wgs, (seconds[wgs] ?? 0) * 1000))
        }
        let best = seconds.min { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }?.key ?? 64
        return (best, seconds)
    }
}
