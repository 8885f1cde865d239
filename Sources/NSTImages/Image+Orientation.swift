// Image+Orientation: turns a stored image upright by its EXIF orientation (mirrors, rotations, transposes).
import NSTCore

extension Image {
    /// This image displayed as EXIF orientation `orientation` says: 2 mirrors it left to
    /// right, 3 turns it 180 degrees, 4 mirrors it top to bottom, 5 transposes it, 6 turns
    /// it 90 degrees clockwise, 7 transverses it (the other diagonal), 8 turns it 270
    /// degrees clockwise; 5-8 swap width and height. 1 or any other value leaves it as it is.
    func oriented(exif orientation: Int) -> Image {
        let width = self.width, height = self.height
        // Output pixel (x, y) reads the stored pixel at start + x * stepX + y * stepY in a
        // plane, so that each case is three numbers instead of a branch per pixel.
        let last = width - 1, lastRow = (height - 1) * width
        let start: Int, stepX: Int, stepY: Int
        switch orientation {
        case 2: (start, stepX, stepY) = (last, -1, width)                 // (W-1-x, y)
        case 3: (start, stepX, stepY) = (lastRow + last, -1, -width)      // (W-1-x, H-1-y)
        case 4: (start, stepX, stepY) = (lastRow, 1, -width)              // (x, H-1-y)
        case 5: (start, stepX, stepY) = (0, width, 1)                     // (y, x)
        case 6: (start, stepX, stepY) = (lastRow, -width, 1)              // (y, H-1-x)
        case 7: (start, stepX, stepY) = (lastRow + last, -width, -1)      // (W-1-y, H-1-x)
        case 8: (start, stepX, stepY) = (last, width, -1)                 // (W-1-y, x)
        default: return self
        }
        let swapped = orientation >= 5
        let outWidth = swapped ? height : width, outHeight = swapped ? width : height
        let plane = planeCount
        var out = [Float](repeating: 0, count: pixels.count)
        for channel in 0..<3 {
            let base = channel * plane
            for y in 0..<outHeight {
                var source = base + start + y * stepY
                var target = base + y * outWidth
                for _ in 0..<outWidth {
                    out[target] = pixels[source]
                    source += stepX
                    target += 1
                }
            }
        }
        return Image(checkedWidth: outWidth, height: outHeight, pixels: out)
    }
}
