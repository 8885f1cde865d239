// Drawing+Cairo: a drawing rendered to pixels with Cairo (antialiased lines, DejaVu Sans text through fontconfig and FreeType).
import CCairo
import Foundation
import NSTCore
import NSTImages

extension Drawing {
    /// The family Cairo asks fontconfig for (Debian's `fonts-dejavu-core`, which
    /// `scripts/install-deps.sh` installs); fontconfig substitutes a sans-serif font when absent.
    static let fontFamily = "DejaVu Sans"

    /// Renders the drawing to an RGB raster.
    /// - Throws: `ImageError` when a side is not 1 to `Image.maxSide` or Cairo fails.
    public func rasterize() throws -> Raster {
        guard (1...Image.maxSide).contains(width), (1...Image.maxSide).contains(height) else {
            throw ImageError(.invalidImage, path: nil, "a picture of \(width)x\(height) pixels is not possible; each side must be 1 to \(Image.maxSide)")
        }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)) else {
            throw ImageError(.invalidImage, path: nil, "Cairo could not make a \(width)x\(height) surface")
        }
        defer { cairo_surface_destroy(surface) }
        guard let cr = cairo_create(surface) else {
            throw ImageError(.invalidImage, path: nil, "Cairo could not start drawing")
        }
        defer { cairo_destroy(cr) }
        Self.setColor(cr, background)
        cairo_paint(cr)
        for item in items { Self.draw(item, cr: cr, surface: surface) }
        cairo_surface_flush(surface)
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS, cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS,
              let data = cairo_image_surface_get_data(surface) else {
            throw ImageError(.invalidImage, path: nil, "Cairo failed: \(cairo_status_to_string(status).map { String(cString: $0) } ?? "status \(status.rawValue)")")
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var raster = Raster(width: width, height: height)
        let raw = UnsafeMutableRawPointer(data)
        for y in 0..<height {
            for x in 0..<width {
                // RGB24 keeps each pixel as a native-endian 0x00RRGGBB word.
                let word = raw.load(fromByteOffset: y * stride + 4 * x, as: UInt32.self)
                raster.set(x: x, y: y, (UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)))
            }
        }
        return raster
    }

    private static func setColor(_ cr: OpaquePointer, _ color: RGBColor) {
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
    }

    private static func apply(_ stroke: Stroke, _ cr: OpaquePointer) {
        setColor(cr, stroke.color)
        cairo_set_line_width(cr, stroke.width)
        stroke.dash.withUnsafeBufferPointer { dashes in
            cairo_set_dash(cr, dashes.baseAddress, Int32(dashes.count), 0)
        }
    }

    private static func draw(_ item: DrawItem, cr: OpaquePointer, surface: OpaquePointer) {
        switch item {
        case let .rect(x, y, w, h, fill, stroke):
            cairo_rectangle(cr, x, y, w, h)
            if let fill {
                setColor(cr, fill)
                if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
            }
            if let stroke {
                apply(stroke, cr)
                cairo_stroke(cr)
            }
        case let .line(x1, y1, x2, y2, stroke, _, _):
            apply(stroke, cr)
            cairo_move_to(cr, x1, y1)
            cairo_line_to(cr, x2, y2)
            cairo_stroke(cr)
        case let .path(runs, stroke, _):
            apply(stroke, cr)
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
            for run in runs where !run.isEmpty {
                cairo_move_to(cr, run[0].x, run[0].y)
                for point in run.dropFirst() { cairo_line_to(cr, point.x, point.y) }
                if run.count == 1 { cairo_line_to(cr, run[0].x + 0.01, run[0].y) }
            }
            cairo_stroke(cr)
        case let .text(string, x, y, size, color, anchor, bold, vertical):
            cairo_save(cr)
            cairo_select_font_face(cr, fontFamily, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
            cairo_set_font_size(cr, size)
            var extents = cairo_text_extents_t()
            cairo_text_extents(cr, string, &extents)
            let shift = anchor == .start ? 0 : anchor == .middle ? extents.x_advance / 2 : extents.x_advance
            cairo_translate(cr, x, y)
            if vertical { cairo_rotate(cr, -Double.pi / 2) }
            cairo_move_to(cr, -shift, 0)
            setColor(cr, color)
            cairo_show_text(cr, string)
            cairo_restore(cr)
        case let .raster(raster, x, y):
            cairo_surface_flush(surface)
            guard let data = cairo_image_surface_get_data(surface) else { return }
            let stride = Int(cairo_image_surface_get_stride(surface))
            let width = Int(cairo_image_surface_get_width(surface)), height = Int(cairo_image_surface_get_height(surface))
            let raw = UnsafeMutableRawPointer(data)
            for row in 0..<raster.height where y + row >= 0 && y + row < height {
                for column in 0..<raster.width where x + column >= 0 && x + column < width {
                    let (r, g, b) = raster.pixel(x: column, y: row)
                    let word = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
                    raw.storeBytes(of: word, toByteOffset: (y + row) * stride + 4 * (x + column), as: UInt32.self)
                }
            }
            cairo_surface_mark_dirty(surface)
        }
    }
}
