// PNGOutput: encoding an inspection picture as RGB or palette PNG and writing it atomically.
import NSTCore
import NSTImages

/// PNG files of the inspection commands.
public enum PNGOutput {
    /// The raster as PNG bytes: 8-bit RGB when `colors` is 0, else a palette of at most
    /// `colors` (1 to 256) entries (see `Palette`). `path` names the file in errors.
    public static func encode(_ raster: Raster, colors: Int, path: String) throws -> [UInt8] {
        guard colors > 0 else {
            return try CodecBridge.encodePNG(rgb: raster.rgb, width: raster.width, height: raster.height, path: path)
        }
        let palette = Palette(raster, maxColors: colors)
        // 8-bit indices: libpng accepts them for any palette size; smaller depths save little after deflate.
        let entries = palette.colors.flatMap { [$0.0, $0.1, $0.2] }
        return try CodecBridge.encodePNGRaw(rows: palette.indices, width: raster.width, height: raster.height,
                                            bitDepth: 8, colorType: 3, palette: entries)
    }

    /// Encodes and writes `raster` to `path` atomically (temporary file and rename).
    /// - Throws: `ImageError` naming `path`.
    public static func write(_ raster: Raster, to path: String, colors: Int = 0) throws {
        try ImageFile.writeAtomically(encode(raster, colors: colors, path: path), to: path)
    }
}
