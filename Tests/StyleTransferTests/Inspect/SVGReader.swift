// SVGReader: parses SVG text with XMLParser (so malformed XML fails the test) and collects its elements.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Every element of an SVG document with its attributes, in document order.
struct SVGElements {
    struct Element {
        let name: String
        let attributes: [String: String]
        var text = ""
    }

    private(set) var elements: [Element] = []

    /// Parses `text`; throws when it is not well-formed XML or the root is not `svg`.
    init(_ text: String) throws {
        let delegate = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = delegate
        guard parser.parse() else {
            throw NSError(domain: "SVG", code: 1, userInfo: [NSLocalizedDescriptionKey: "not well-formed XML: \(String(describing: parser.parserError))"])
        }
        guard delegate.elements.first?.name == "svg" else { throw NSError(domain: "SVG", code: 2) }
        elements = delegate.elements
    }

    func all(_ name: String, class className: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (className == nil || $0.attributes["class"] == className) }
    }

    /// The points of a path's `d` ("M x,y L x,y ... M ..."), one array per run.
    static func runs(_ d: String) -> [[(x: Double, y: Double)]] {
        d.split(separator: "M").map { run in
            run.split(separator: "L").compactMap { pair in
                let xy = pair.trimmingCharacters(in: .whitespaces).split(separator: ",").compactMap { Double($0) }
                return xy.count == 2 ? (xy[0], xy[1]) : nil
            }
        }.filter { !$0.isEmpty }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append(Element(name: name, attributes: attributes))
            open.append(elements.count - 1)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let last = open.last { elements[last].text += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            _ = open.popLast()
        }
    }
}
