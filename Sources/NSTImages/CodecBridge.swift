// CodecBridge: calls into the CCodecs C shim and turns its status codes into ImageError.
import CCodecs
import NSTCore

/// Thin wrappers over the C shim; every failure becomes an `ImageError` naming `path`.
package enum CodecBridge {
    /// Room for the shim's one-line messages.
    private static let messageCapacity = 512

    /// Decodes PNG, JPEG or TIFF bytes to an image; the decoder refuses, before allocating,
    /// an image whose decoding would need more than `budget` bytes (normally the memory left).
    package static func decode(_ bytes: [UInt8], format: ImageFormat, path: String, budget: Int) throws -> Image {
        var decoded = nst_image()
        var message = [CChar](repeating: 0, count: messageCapacity)
        let capacity = message.count
        let status = bytes.withUnsafeBufferPointer { data in
            switch format {
            case .png: return nst_decode_png(data.baseAddress, data.count, budget, &decoded, &message, capacity)
            case .jpeg: return nst_decode_jpeg(data.baseAddress, data.count, budget, &decoded, &message, capacity)
            case .tiff: return nst_decode_tiff(data.baseAddress, data.count, budget, &decoded, &message, capacity)
            }
        }
        defer { nst_image_free(&decoded) }
        guard status == NST_OK, let pixels = decoded.pixels else {
            throw error(status, message, path: path)
        }
        let width = Int(decoded.width), height = Int(decoded.height)
        // A Swift array traps when its memory cannot be had: make sure it can first.
        guard AvailableMemory.canAllocate(3 * width * height * MemoryLayout<Float>.stride) else {
            throw ImageError(.outOfMemory, path: path, "out of memory copying a \(width)x\(height) image")
        }
        let values = Array(UnsafeBufferPointer(start: pixels, count: 3 * width * height))
        return Image(checkedWidth: width, height: height, pixels: values)
    }

    /// Encodes interleaved 8-bit RGB as PNG.
    package static func encodePNG(rgb: [UInt8], width: Int, height: Int, path: String) throws -> [UInt8] {
        try encode(path: path) { buffer, message in
            rgb.withUnsafeBufferPointer { rows in
                nst_encode_png_rgb8(rows.baseAddress, Int32(width), Int32(height), &buffer, message, messageCapacity)
            }
        }
    }

    /// Encodes RGB rows in PNG's layout (8-bit, or big-endian 16-bit samples), with an sRGB
    /// chunk when `srgb` is set.
    package static func encodePNG(rows: [UInt8], width: Int, height: Int, bitDepth: Int, srgb: Bool, path: String) throws -> [UInt8] {
        try encode(path: path) { buffer, message in
            rows.withUnsafeBufferPointer { data in
                nst_encode_png_rgb(data.baseAddress, Int32(width), Int32(height), Int32(bitDepth), srgb ? 1 : 0,
                                   &buffer, message, messageCapacity)
            }
        }
    }

    /// Encodes interleaved RGB samples as an uncompressed TIFF (`samples16` when not empty,
    /// else `samples8`), with `icc` in its ICCProfile tag when not empty.
    package static func encodeTIFF(samples8: [UInt8], samples16: [UInt16], width: Int, height: Int, icc: [UInt8],
                           path: String) throws -> [UInt8] {
        try encode(path: path) { buffer, message in
            icc.withUnsafeBufferPointer { profile in
                let iccBase = profile.isEmpty ? nil : profile.baseAddress
                if samples16.isEmpty {
                    return samples8.withUnsafeBytes { data in
                        nst_encode_tiff_rgb(data.baseAddress, Int32(width), Int32(height), 8, iccBase, profile.count,
                                            &buffer, message, messageCapacity)
                    }
                }
                return samples16.withUnsafeBytes { data in
                    nst_encode_tiff_rgb(data.baseAddress, Int32(width), Int32(height), 16, iccBase, profile.count,
                                        &buffer, message, messageCapacity)
                }
            }
        }
    }

    /// Encodes rows laid out exactly as PNG stores them (packed low bit depths,
    /// big-endian 16-bit samples) with any bit depth and colour type: the way tests
    /// make fixtures of every PNG flavour. `colorType` is PNG's number (0 grey,
    /// 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA); `palette` holds RGB triples and
    /// `paletteAlpha` the tRNS entries of a palette image.
    package static func encodePNGRaw(rows: [UInt8], width: Int, height: Int, bitDepth: Int, colorType: Int,
                             palette: [UInt8] = [], paletteAlpha: [UInt8] = [],
                             interlaced: Bool = false) throws -> [UInt8] {
        let rowBytes = (width * [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType, default: 0] * bitDepth + 7) / 8
        guard width > 0, height > 0, rowBytes > 0, rows.count >= rowBytes * height else {
            throw ImageError(.invalidImage, path: nil,
                             "raw PNG rows: \(rows.count) bytes do not fill \(height) rows of \(rowBytes) bytes")
        }
        return try encode(path: "raw PNG") { buffer, message in
            rows.withUnsafeBufferPointer { data in
                palette.withUnsafeBufferPointer { colors in
                    paletteAlpha.withUnsafeBufferPointer { alpha in
                        nst_encode_png_raw(data.baseAddress, Int32(width), Int32(height), Int32(bitDepth),
                                           Int32(colorType), colors.baseAddress, Int32(palette.count / 3),
                                           alpha.baseAddress, Int32(paletteAlpha.count), interlaced ? 1 : 0,
                                           &buffer, message, messageCapacity)
                    }
                }
            }
        }
    }

    /// Encodes interleaved 8-bit samples as JPEG: 1 component is grey, 3 RGB, 4 CMYK
    /// in Adobe's inverted convention (255 = no ink). Makes test fixtures.
    package static func encodeJPEGRaw(samples: [UInt8], width: Int, height: Int, components: Int,
                              quality: Int = 95, progressive: Bool = false, path: String = "raw JPEG") throws -> [UInt8] {
        guard width > 0, height > 0, samples.count >= width * height * components else {
            throw ImageError(.invalidImage, path: nil,
                             "raw JPEG samples: \(samples.count) bytes do not fill \(width)x\(height)x\(components)")
        }
        return try encode(path: path) { buffer, message in
            samples.withUnsafeBufferPointer { data in
                nst_encode_jpeg_raw(data.baseAddress, Int32(width), Int32(height), Int32(components),
                                    Int32(quality), progressive ? 1 : 0, &buffer, message, messageCapacity)
            }
        }
    }

    /// Runs one encoder call with a fresh buffer and copies the result out.
    private static func encode(
        path: String, _ call: (inout nst_buffer, UnsafeMutablePointer<CChar>) -> nst_status
    ) throws -> [UInt8] {
        var buffer = nst_buffer()
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = message.withUnsafeMutableBufferPointer { text -> nst_status in
            guard let base = text.baseAddress else { return NST_ERR_ARGUMENT }
            return call(&buffer, base)
        }
        defer { nst_buffer_free(&buffer) }
        guard status == NST_OK, let data = buffer.data else { throw error(status, message, path: path) }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }

    private static func error(_ status: nst_status, _ message: [CChar], path: String) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let kind: ImageError.Kind
        switch status {
        case NST_ERR_TRUNCATED: kind = .truncated
        case NST_ERR_TOO_LARGE: kind = .tooLarge
        case NST_ERR_NO_MEMORY: kind = .outOfMemory
        case NST_ERR_UNSUPPORTED: kind = .unsupportedContent
        case NST_ERR_ARGUMENT: kind = .invalidImage
        default: kind = .corrupt
        }
        return ImageError(kind, path: path, text.isEmpty ? "image codec failed (status \(status.rawValue))" : text)
    }
}
