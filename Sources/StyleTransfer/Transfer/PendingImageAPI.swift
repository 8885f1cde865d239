// PendingImageAPI: TEMPORARY stand-in for the Images module (removed when it is merged).
import Foundation

public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]
    public init(width: Int, height: Int, pixels: [Float]) throws {
        self.width = width; self.height = height; self.pixels = pixels
    }
    public static func load(path: String) throws -> Image { throw TransferError.file(role: "image", path: path, problem: "image decoding not merged yet") }
    public func resized(longSide: Int) throws -> Image { self }
    public func resized(width: Int, height: Int) throws -> Image { self }
    public func writePNG(to path: String) throws { throw TransferError.file(role: "image", path: path, problem: "not merged yet") }
}
