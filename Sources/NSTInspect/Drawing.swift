// Drawing: a picture as a list of shapes, text and rasters, rendered to SVG text or, through Cairo, to pixels.
import NSTCore

/// How a text's x coordinate relates to the text.
public enum TextAnchor: String, Sendable {
    case start, middle, end
}

/// A stroke: colour, width in pixels and dash pattern (empty: solid).
public struct Stroke: Equatable, Sendable {
    public var color: RGBColor
    public var width: Double
    public var dash: [Double]

    public init(_ color: RGBColor, width: Double = 1, dash: [Double] = []) {
        self.color = color
        self.width = width
        self.dash = dash
    }
}

/// One element of a `Drawing`. Coordinates are pixels, y pointing down.
public enum DrawItem: Sendable {
    /// A rectangle, filled and/or outlined.
    case rect(x: Double, y: Double, width: Double, height: Double, fill: RGBColor?, stroke: Stroke?)
    /// A straight line; `role` becomes the SVG element's class (e.g. "stage", "tick") and
    /// `data` (name/value pairs) its `data-*` attributes.
    case line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: Stroke, role: String? = nil, data: [(String, String)] = [])
    /// Connected points, each inner array one unbroken run; `series` (name/value pairs)
    /// becomes `data-*` attributes in SVG, so a reader can tell which series it is.
    case path(runs: [[(x: Double, y: Double)]], stroke: Stroke, series: [(String, String)])
    /// Text whose baseline starts, centres or ends at (x, y); `vertical` turns it a
    /// quarter turn counter-clockwise (a y axis label).
    case text(String, x: Double, y: Double, size: Double, color: RGBColor, anchor: TextAnchor, bold: Bool, vertical: Bool)
    /// Pixels copied 1:1 with their top left corner at (x, y) (whole pixels).
    case raster(Raster, x: Int, y: Int)
}

/// A picture of `width x height` pixels on a background colour, drawn in order.
public struct Drawing: Sendable {
    public let width: Int, height: Int
    public var background: RGBColor
    public private(set) var items: [DrawItem] = []

    public init(width: Int, height: Int, background: RGBColor = .white) {
        self.width = width
        self.height = height
        self.background = background
    }

    /// Appends an item (drawn over the earlier ones).
    public mutating func add(_ item: DrawItem) { items.append(item) }

    /// Appends text with the usual defaults (12 px, black, left-aligned, regular).
    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, color: RGBColor = .black,
                              anchor: TextAnchor = .start, bold: Bool = false, vertical: Bool = false) {
        items.append(.text(string, x: x, y: y, size: size, color: color, anchor: anchor, bold: bold, vertical: vertical))
    }
}
