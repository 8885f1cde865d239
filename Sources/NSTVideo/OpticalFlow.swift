// OpticalFlow: dense optical flow between two frames through OpenCV (DIS or Farneback), as per-pixel displacements.
import CFlow
import NSTCore
import NSTImages

/// A dense flow field from frame A to frame B: frame A's pixel (x, y) moves to
/// (x + dx, y + dy) in frame B, so A(p) ≈ B(p + flow(p)).
public struct Flow: Sendable {
    /// The width of both frames.
    public let width: Int
    /// The height of both frames.
    public let height: Int
    /// Horizontal displacements in pixels, row-major, `width * height` values (index `y * width + x`).
    public let dx: [Float]
    /// Vertical displacements in pixels, laid out as `dx`.
    public let dy: [Float]

    /// A flow field; nil unless both sides are positive and `dx` and `dy` hold `width * height` values each.
    public init?(width: Int, height: Int, dx: [Float], dy: [Float]) {
        guard width > 0, height > 0, dx.count == width * height, dy.count == width * height else { return nil }
        self.width = width
        self.height = height
        self.dx = dx
        self.dy = dy
    }
}

/// The algorithm of `OpticalFlow.compute`.
public enum FlowMethod: String, Sendable, CaseIterable {
    /// Dense Inverse Search (`cv::DISOpticalFlow`, medium preset): fast, good for video.
    case dis
    /// Farneback's polynomial expansion (`cv::calcOpticalFlowFarneback`): slower, smoother.
    case farneback
}

/// A flow that cannot be computed (frames of different sizes, OpenCV failing), in one line.
public struct FlowError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong.
    public let problem: String

    /// A flow error saying `problem`.
    public init(problem: String) {
        self.problem = problem
    }

    /// The problem itself.
    public var description: String { problem }
}

/// Dense optical flow through OpenCV.
public enum OpticalFlow {
    /// The flow from frame `a` to frame `b` (see `Flow`): both are turned into luma
    /// (0.299 R + 0.587 G + 0.114 B) at 8 bits, which DIS requires and Farneback is made for.
    /// - Throws: `FlowError` when the frames differ in size, memory runs out, or OpenCV fails.
    public static func compute(from a: Image, to b: Image, method: FlowMethod) throws -> Flow {
        guard a.width == b.width, a.height == b.height else {
            throw FlowError(problem: "frames of \(a.width)x\(a.height) and \(b.width)x\(b.height) have no flow between them; they must be of one size")
        }
        let count = a.width * a.height
        // Two grey frames and two flow planes; a Swift array traps when memory runs out.
        guard AvailableMemory.canAllocate(4 * count * MemoryLayout<Float>.stride) else {
            throw FlowError(problem: "out of memory computing the flow of \(a.width)x\(a.height) frames")
        }
        let first = luma(a), second = luma(b)
        var dx = [Float](repeating: 0, count: count), dy = [Float](repeating: 0, count: count)
        var message = [CChar](repeating: 0, count: 512)
        let capacity = message.count
        let shimMethod = method == .dis ? NST_FLOW_DIS : NST_FLOW_FARNEBACK
        let width = Int32(a.width), height = Int32(a.height)
        let status = first.withUnsafeBufferPointer { first in
            second.withUnsafeBufferPointer { second in
                dx.withUnsafeMutableBufferPointer { dx in
                    dy.withUnsafeMutableBufferPointer { dy in
                        nst_flow_compute(first.baseAddress, second.baseAddress, width, height, shimMethod,
                                         dx.baseAddress, dy.baseAddress, &message, capacity)
                    }
                }
            }
        }
        guard status == NST_FLOW_OK, let flow = Flow(width: a.width, height: a.height, dx: dx, dy: dy) else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw FlowError(problem: text.isEmpty ? "the flow cannot be computed (error \(status.rawValue))" : text)
        }
        return flow
    }

    /// The luma plane of `image`, computed in C (fast in debug builds too).
    private static func luma(_ image: Image) -> [Float] {
        var gray = [Float](repeating: 0, count: image.planeCount)
        image.pixels.withUnsafeBufferPointer { planes in
            gray.withUnsafeMutableBufferPointer { gray in
                nst_flow_luma(planes.baseAddress, Int32(image.width), Int32(image.height), gray.baseAddress)
            }
        }
        return gray
    }
}
