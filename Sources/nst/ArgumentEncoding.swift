// ArgumentEncoding: refuses command-line arguments that are not valid UTF-8 before parsing, since Swift would quietly turn their bytes into U+FFFD and nst would read or write a different file.
import Foundation

/// An argument whose bytes are not valid UTF-8.
struct ArgumentEncodingError: Error, CustomStringConvertible {
    /// 1-based position of the argument on the command line.
    let position: Int
    /// The option the argument belongs to (`--output` for `--output NAME` and
    /// `--output=NAME`), or nil for a positional argument.
    let option: String?

    var description: String {
        let subject = option.map { "the value of \($0)" } ?? "argument \(position)"
        return "\(subject) is not valid UTF-8; nst names files in UTF-8 only (rename the file, or pick a UTF-8 name)"
    }

    /// The first argument of `arguments` (raw bytes, without the program name) that is not
    /// valid UTF-8, or nil when all are.
    static func check(_ arguments: [[UInt8]]) -> ArgumentEncodingError? {
        for (index, bytes) in arguments.enumerated() where String(validating: bytes, as: UTF8.self) == nil {
            let equals = bytes.firstIndex(of: UInt8(ascii: "="))
            let option: String?
            if bytes.starts(with: [UInt8(ascii: "-")]), let equals,
               let name = String(validating: bytes[..<equals], as: UTF8.self) {
                option = name                      // --output=NAME
            } else if index > 0, arguments[index - 1].starts(with: [UInt8(ascii: "-")]),
                      let name = String(validating: arguments[index - 1], as: UTF8.self) {
                option = name                      // --output NAME
            } else {
                option = nil
            }
            return ArgumentEncodingError(position: index + 1, option: option)
        }
        return nil
    }

    /// The process's arguments as raw bytes, without the program name.
    static func processArguments() -> [[UInt8]] {
        let count = Int(CommandLine.argc)
        return (1..<max(count, 1)).compactMap { index in
            CommandLine.unsafeArgv[index].map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) }
        }
    }
}
