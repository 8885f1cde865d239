// BatchPaths: one content's output, loss log and plot names in a batch: `{name}` replaced, or a file in an existing folder.
import Foundation
import NSTCore

/// How a batch names each content's outputs. With one content the paths are used as given;
/// with several, each of `TransferOption.output`, `.lossLog` and `.plot` must contain
/// `{name}` (the content's base name) or be an existing folder (which then gets
/// `NAME.png`, `NAME.csv`, `NAME.svg`).
public enum BatchPaths {
    /// The placeholder of the content's base name.
    public static let placeholder = "{name}"

    /// The content's base name: its file name without the extension.
    public static func name(of content: String) -> String {
        ((content as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// `template` for the content named `name`: `{name}` replaced, or `folder/NAME.ext` for an existing folder.
    static func path(_ template: String, name: String, folderExtension: String) -> String {
        if template.contains(placeholder) { return template.replacingOccurrences(of: placeholder, with: name) }
        return (template as NSString).appendingPathComponent(name + "." + folderExtension)
    }

    /// Checks that `template` (the value of `option`) can name `count` outputs.
    /// - Throws: `TransferError.option` naming `option`.
    static func check(_ template: String?, _ option: TransferOption, count: Int) throws {
        guard count > 1, let template, !template.contains(placeholder) else { return }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: template, isDirectory: &isFolder), isFolder.boolValue else {
            throw TransferError.invalid(option, "names one file for \(count) contents; put \(placeholder) in it (the content's base name) or give an existing folder")
        }
    }

    /// `options` for the item `content`: its content, and its output, loss log and plot
    /// named for it where they contain `{name}` or are existing folders (a single content's
    /// other paths are used as they are).
    public static func item(_ options: TransferOptions, content: String) -> TransferOptions {
        var item = options
        item.contentPath = content
        let name = name(of: content)
        func named(_ template: String, _ folderExtension: String) -> String {
            var isFolder: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: template, isDirectory: &isFolder) && isFolder.boolValue
            return template.contains(placeholder) || folder ? path(template, name: name, folderExtension: folderExtension) : template
        }
        item.outputPath = named(options.outputPath, "png")
        item.lossLogPath = options.lossLogPath.map { named($0, "csv") }
        item.plotPath = options.plotPath.map { named($0, "svg") }
        return item
    }
}
