// ErrorWords: Foundation's file and network errors in plain words, not "(NSCocoaErrorDomain error 512.)".
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Foundation on Linux describes many errors by domain and number only. Every message nst
/// prints goes through `describe`, which names what happened.
public enum ErrorWords {
    /// `error` in words: the POSIX reason behind a file error, the kind of a network failure,
    /// else Foundation's own description.
    public static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return posix(Int32(underlying.code))
        }
        switch ns.domain {
        case NSPOSIXErrorDomain:
            return posix(Int32(ns.code))
        case NSCocoaErrorDomain:
            switch ns.code {
            case 4, 260: return "no such file or folder"
            case 257, 513: return "permission denied"
            case 516: return "a file of that name exists"
            case 640: return "the disk is full"
            case 642: return "the file name is too long"
            case 259, 264: return "the file could not be read (its format or encoding is not what was expected)"
            case 256: return "the file could not be read"
            case 512: return "the file could not be written"
            default: break
            }
        case "NSURLErrorDomain":
            switch ns.code {
            case -1001: return "timed out"
            case -1003: return "the server's host name was not found"
            case -1004: return "the server could not be reached (connection refused)"
            case -1005: return "the connection was lost"
            case -1009: return "this machine is not connected to a network"
            case -1200, -1201, -1202, -1203, -1204, -1205, -1206: return "the secure connection failed (TLS)"
            case -1002: return "the URL is not one nst can fetch (http or https)"
            case -999: return "cancelled"
            default: break
            }
        default:
            break
        }
        let text = ns.localizedDescription
        // Foundation's fallback is "The operation could not be completed. (DOMAIN error N.)": say at least that much plainly.
        if text.hasPrefix("The operation could not be completed") { return "failed (\(ns.domain) \(ns.code))" }
        return text
    }

    /// The C library's words for an errno value, lower-cased like nst's own messages.
    static func posix(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
