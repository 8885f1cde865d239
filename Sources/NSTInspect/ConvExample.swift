// ConvExample: the 6x6 vertical-edge convolution example, computed by a backend's conv2d, as text and as a picture.
import Foundation
import NSTCore

/// The classic vertical edge detector: a 6x6 image whose left three columns are 10 and
/// right three 0, convolved ("valid", padding 0) with the 3x3 kernel whose columns are
/// 1, 0, -1. The 4x4 result is 0, 30, 30, 0 in every row: the edge shows as a bright band.
public struct ConvExample: Sendable {
    public static let inputSide = 6, kernelSide = 3
    /// Row-major 6x6: 10 in columns 0-2, 0 in columns 3-5.
    public static let input: [Float] = (0..<36).map { $0 % 6 < 3 ? 10 : 0 }
    /// Row-major 3x3: columns 1, 0, -1.
    public static let kernel: [Float] = (0..<9).map { [1, 0, -1][$0 % 3] }

    /// The 4x4 output as the device computed it, row-major.
    public let output: [Float]
    /// The device's name.
    public let deviceName: String

    /// Runs `DeviceOp.conv2d` with padding 0 and no bias on `device`.
    public init(device: any Device) throws {
        let n = Self.inputSide - Self.kernelSide + 1
        let input = try device.makeTensor(Shape(1, Self.inputSide, Self.inputSide))
        let weight = try device.makeTensor(Shape(1, 1, Self.kernelSide, Self.kernelSide))
        let output = try device.makeTensor(Shape(1, n, n))
        try device.upload(Self.input, to: input)
        try device.upload(Self.kernel, to: weight)
        try device.execute(.conv2d(input: input, weight: weight, bias: nil, output: output, padding: 0))
        self.output = try device.download(output)
        deviceName = device.name
    }

    /// The three grids as text, one block each, numbers right-aligned in columns.
    public var text: String {
        let n = Self.inputSide - Self.kernelSide + 1
        return "input (\(Self.inputSide)x\(Self.inputSide)):\n" + Self.grid(Self.input, side: Self.inputSide)
            + "\nkernel (\(Self.kernelSide)x\(Self.kernelSide)):\n" + Self.grid(Self.kernel, side: Self.kernelSide)
            + "\noutput (\(n)x\(n)) = input * kernel, conv2d with padding 0 on \(deviceName):\n" + Self.grid(output, side: n)
    }

    /// `side x side` values, each row one line, integers without a decimal point.
    static func grid(_ values: [Float], side: Int) -> String {
        (0..<side).map { row in
            (0..<side).map { column in
                let text = number(values[row * side + column])
                return String(repeating: " ", count: max(0, 5 - text.count)) + text
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e7 ? String(Int(value)) : String(format: "%g", Double(value))
    }

    /// The picture: input, kernel and output as tables of numbers (cells shaded by value,
    /// light for large), with `*` and `=` between them and captions below.
    public func drawing() -> Drawing {
        let cell = 40, m = 24, n = Self.inputSide - Self.kernelSide + 1
        let sides = [Self.inputSide, Self.kernelSide, n], symbols = ["*", "="], symbolRoom = 44
        let width = 2 * m + sides.reduce(0) { $0 + $1 * cell } + 2 * symbolRoom
        let height = 2 * m + Self.inputSide * cell + 52
        var d = Drawing(width: width, height: height)
        let tables: [(values: [Float], side: Int, caption: String)] = [
            (Self.input, Self.inputSide, "input 6x6"), (Self.kernel, Self.kernelSide, "kernel 3x3"),
            (output, n, "output 4x4 (\(deviceName))")]
        var x = m
        let tableTop = m + 10
        for (k, table) in tables.enumerated() {
            let top = tableTop + (Self.inputSide - table.side) * cell / 2
            let lo = Double(table.values.min() ?? 0), hi = Double(table.values.max() ?? 1)
            for row in 0..<table.side {
                for column in 0..<table.side {
                    let v = Double(table.values[row * table.side + column])
                    let t = hi > lo ? (v - lo) / (hi - lo) : 1
                    let shade = RGBColor(0.35 + 0.6 * t, 0.35 + 0.6 * t, 0.35 + 0.6 * t)
                    let cx = Double(x + column * cell), cy = Double(top + row * cell)
                    d.add(.rect(x: cx, y: cy, width: Double(cell), height: Double(cell), fill: shade, stroke: Stroke(RGBColor(hex: 0x222222))))
                    d.text(Self.number(Float(v)), x: cx + Double(cell) / 2, y: cy + Double(cell) / 2 + 6, size: 16,
                           color: t > 0.45 ? .black : .white, anchor: .middle, bold: true)
                }
            }
            d.text(table.caption, x: Double(x + table.side * cell / 2), y: Double(tableTop + Self.inputSide * cell + 30),
                   size: 14, anchor: .middle)
            x += table.side * cell
            if k < symbols.count {
                d.text(symbols[k], x: Double(x + symbolRoom / 2), y: Double(tableTop + Self.inputSide * cell / 2 + 10),
                       size: 30, anchor: .middle, bold: true)
                x += symbolRoom
            }
        }
        return d
    }
}
