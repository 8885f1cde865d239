// MultipartForm: a multipart/form-data body (RFC 7578) split into its named parts, bounded; the one upload parser of `nst serve`.
import Foundation

/// The parts of a `multipart/form-data` body. Written here rather than taken from a package
/// because the packages that parse it (multipart-kit) bring SwiftNIO, which would triple
/// the build of every CI pass for some 60 lines; the parser only splits, it executes nothing.
public struct MultipartForm {
    /// One part: its field name, the file name if it is a file, and its bytes.
    public struct Part {
        public var name: String
        public var fileName: String?
        public var data: Data
    }

    public let parts: [Part]

    /// The parts named `name`, in order.
    public func parts(named name: String) -> [Part] { parts.filter { $0.name == name } }

    /// Splits `body` by the boundary of `contentType`.
    /// - Throws: `FormError` for another content type, a missing boundary, more than
    ///   `maxParts` parts, or a part without a name.
    public init(body: Data, contentType: String, maxParts: Int = 64) throws {
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data" else {
            throw FormError("the body must be multipart/form-data, not '\(fields.first ?? "")'")
        }
        guard let raw = fields.first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst(9), !raw.isEmpty, raw.count <= 200 else {
            throw FormError("the multipart body names no boundary")
        }
        let boundary = Data(("--" + raw.trimmingCharacters(in: CharacterSet(charactersIn: "\""))).utf8)
        var parts: [Part] = []
        guard var cursor = body.range(of: boundary)?.upperBound else { throw FormError("the multipart body has no part") }
        let separator = Data("\r\n".utf8) + boundary
        while true {
            // "--" after a boundary ends the body.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else { throw FormError("a multipart boundary is not followed by a line end") }
            cursor += 2
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: cursor..<body.endIndex),
                  let next = body.range(of: separator, in: headerEnd.upperBound..<body.endIndex) else {
                throw FormError("a multipart part is cut short")
            }
            let headers = String(decoding: body[cursor..<headerEnd.lowerBound], as: UTF8.self)
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition:") }),
                  let name = Self.parameter("name", in: disposition) else {
                throw FormError("a multipart part has no name")
            }
            parts.append(Part(name: name, fileName: Self.parameter("filename", in: disposition),
                              data: Data(body[headerEnd.upperBound..<next.lowerBound])))
            guard parts.count <= maxParts else { throw FormError("the multipart body has more than \(maxParts) parts") }
            cursor = next.upperBound
        }
        self.parts = parts
    }

    /// The value of `key="..."` in a Content-Disposition line.
    static func parameter(_ key: String, in line: Substring) -> String? {
        for field in line.split(separator: ";").dropFirst() {
            let pair = field.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(key + "=") else { continue }
            return String(pair.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}

/// A body that is not the form the API expects.
public struct FormError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
