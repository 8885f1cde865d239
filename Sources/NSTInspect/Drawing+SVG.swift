// Drawing+SVG: a drawing as SVG 1.1 text, written by the project itself (no library).
import Foundation
import NSTCore

extension Drawing {
    /// The drawing as a standalone SVG document. Rasters are embedded as PNG data URLs.
    /// - Throws: `ImageError` when a raster cannot be encoded.
    public func svg() throws -> String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
            font-family="DejaVu Sans, Verdana, sans-serif">

            """
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"\(background.hexString)\"/>\n"
        for item in items {
            switch item {
            case let .rect(x, y, w, h, fill, stroke):
                out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(w))\" height=\"\(Self.number(h))\""
                out += " fill=\"\(fill?.hexString ?? "none")\"\(Self.attributes(stroke))/>\n"
            case let .line(x1, y1, x2, y2, stroke, role, data):
                out += "<line\(role.map { " class=\"\(Self.escape($0))\"" } ?? "")\(Self.dataAttributes(data)) x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\""
                out += " x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\"\(Self.attributes(stroke))/>\n"
            case let .path(runs, stroke, series):
                let d = runs.filter { !$0.isEmpty }.map { run in
                    "M" + run.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " L")
                }.joined(separator: " ")
                out += "<path class=\"series\"\(Self.dataAttributes(series)) d=\"\(d)\" fill=\"none\"\(Self.attributes(stroke)) stroke-linejoin=\"round\"/>\n"
            case let .text(string, x, y, size, color, anchor, bold, vertical):
                let turn = vertical ? " transform=\"rotate(-90 \(Self.number(x)) \(Self.number(y)))\"" : ""
                out += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\""
                out += " fill=\"\(color.hexString)\" text-anchor=\"\(anchor.rawValue)\"\(bold ? " font-weight=\"bold\"" : "")\(turn)>"
                out += Self.escape(string) + "</text>\n"
            case let .raster(raster, x, y):
                let png = try PNGOutput.encode(raster, colors: 0, path: "SVG raster")
                out += "<image x=\"\(x)\" y=\"\(y)\" width=\"\(raster.width)\" height=\"\(raster.height)\""
                out += " href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>\n"
            }
        }
        return out + "</svg>\n"
    }

    private static func dataAttributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " data-\(escape($0.0))=\"\(escape($0.1))\"" }.joined()
    }

    private static func attributes(_ stroke: Stroke?) -> String {
        guard let stroke else { return "" }
        var text = " stroke=\"\(stroke.color.hexString)\" stroke-width=\"\(number(stroke.width))\""
        if !stroke.dash.isEmpty { text += " stroke-dasharray=\"\(stroke.dash.map(number).joined(separator: ","))\"" }
        return text
    }

    /// Coordinates to 2 decimals: enough for any screen, and short.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }

    /// Escapes the five XML special characters.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
