// Image+Resize: resizing to a long side (keeping the aspect ratio) or to an exact size.
import NSTCore

extension Image {
    /// The size an image of `width` x `height` gets when its long side becomes
    /// `longSide`: the aspect ratio is kept, the short side rounded to nearest
    /// (halves up) and at least 1. All three must be 1 to `maxSide` (callers check).
    package static func size(width: Int, height: Int, longSide: Int) -> (width: Int, height: Int) {
        let long = max(width, height, 1), short = min(width, height)
        let exact = Double(short) * Double(longSide) / Double(long)
        let scaled = min(max(1, Int(exact.rounded(.toNearestOrAwayFromZero))), longSide)
        return width >= height ? (longSide, scaled) : (scaled, longSide)
    }

    /// The image resized so that its long side is `longSide` (see `size(width:height:longSide:)`).
    /// When the long side already is `longSide` the image is returned unchanged, bit
    /// for bit. Throws `ImageError` (kind `.invalidSize`) unless `longSide` is 1 to `Image.maxSide`.
    public func resized(longSide: Int) throws -> Image {
        guard (1...Image.maxSide).contains(longSide) else {
            throw ImageError(.invalidSize, path: nil,
                             "cannot resize to a long side of \(longSide) pixels; it must be 1 to \(Image.maxSide)")
        }
        if max(width, height) == longSide { return self }
        let target = Image.size(width: width, height: height, longSide: longSide)
        return try resized(width: target.width, height: target.height)
    }

    /// The image resampled to exactly `width` x `height` with a separable Lanczos-3
    /// filter, widened when shrinking so that it does not alias; values stay in [0, 1].
    /// The same size returns the image unchanged. Throws `ImageError` (kind
    /// `.invalidSize`) unless both sides are 1 to `Image.maxSide`.
    public func resized(width: Int, height: Int) throws -> Image {
        guard (1...Image.maxSide).contains(width), (1...Image.maxSide).contains(height) else {
            throw ImageError(.invalidSize, path: nil,
                             "cannot resize to \(width)x\(height) pixels; each side must be 1 to \(Image.maxSide)")
        }
        if width == self.width && height == self.height { return self }
        return Resampler.resample(self, width: width, height: height)
    }
}
