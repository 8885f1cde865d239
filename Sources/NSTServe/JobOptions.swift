// JobOptions: a job's options JSON ({"size":128,"style-weight":1e3}) read as `nst transfer`'s command line, so the same parser and plan check it; options that would name files on the server are refused.
import ArgumentParser
import Foundation
import NSTArguments
import StyleTransfer

/// A job's options, checked as `nst transfer` checks its command line.
public enum JobOptions {
    /// Options a job may not give: the server names the files and devices, and a path from
    /// a request must never reach the file system.
    static let refused: Set<String> = ["content", "style", "output", "loss-log", "plot", "save-every", "device", "style-mask",
                                       "content-mask", "quiet", "help"]

    /// One JSON value of the options object.
    enum Value: Decodable {
        case bool(Bool), number(Double), string(String), list([Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let b = try? container.decode(Bool.self) { self = .bool(b) }
            else if let d = try? container.decode(Double.self) { self = .number(d) }
            else if let s = try? container.decode(String.self) { self = .string(s) }
            else { self = .list(try container.decode([Value].self)) }
        }

        /// The value as a command-line word (lists comma-separated; whole numbers without a fraction).
        var word: String {
            switch self {
            case let .bool(b): return b ? "true" : "false"
            case let .number(d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            case let .string(s): return s
            case let .list(items): return items.map(\.word).joined(separator: ",")
            }
        }
    }

    /// The transfer options of `json` for a job whose inputs and outputs are the given paths,
    /// and alpha, beta and gamma as their plan resolves them.
    /// - Throws: `TransferError.option` naming the option: not a JSON object, a refused or
    ///   unknown option, a value the parser or the plan refuses.
    public static func parse(_ json: Data, content: String, styles: [String], output: String, lossLog: String,
                             device: DeviceChoice) throws -> (options: TransferOptions, lossWeights: LossWeights) {
        let object: [String: Value]
        do { object = try JSONDecoder().decode([String: Value].self, from: json.isEmpty ? Data("{}".utf8) : json) } catch {
            throw TransferError.option("options", "must be a JSON object of nst transfer's long option names without the dashes, e.g. {\"size\":128}")
        }
        var arguments: [String] = []
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            guard !refused.contains(key) else {
                throw TransferError.option("--\(key)", "cannot be set through the server (it chooses the files and the device)")
            }
            if key == "weights", case let .string(name) = value, name.contains("/") || name.hasPrefix(".") {
                throw TransferError.option("--weights", "takes the name of a file in the weights cache (nst weights list), not a path")
            }
            if key == "init", case let .string(mode) = value, mode != "content", mode != "random" {
                throw TransferError.option("--init", "takes content or random through the server, not a file")
            }
            switch value {
            case .bool(true): arguments.append("--\(key)")
            case .bool(false): continue
            default: arguments += ["--\(key)", value.word]
            }
        }
        let parsed: TransferArguments
        do { parsed = try TransferArguments.parse(arguments) } catch {
            throw TransferError.option("options", TransferArguments.message(for: error))
        }
        var options = try parsed.options(content: content, output: output)
        options.stylePaths = styles
        options.lossLogPath = lossLog
        options.devices = [device]
        options.quiet = true
        if let name = options.weightsPath, !name.contains("/") { options.weightsPath = WeightsCache().resolve(name) }
        // The plan's checks, as nst transfer makes them before any work.
        let plan = try TransferPlan(options, styleCount: styles.count)
        return (options, plan.lossWeights)
    }
}
