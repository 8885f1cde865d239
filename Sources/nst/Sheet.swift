// Sheet: `nst sheet`, images side by side with captions (content, style, result), as one PNG.
import ArgumentParser
import Foundation
import StyleTransfer

struct Sheet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put images side by side at one height with captions (e.g. content, style, result).",
        discussion: "Images are resized (Lanczos, aspect kept) to --height; captions default to the file names.")

    @Argument(help: ArgumentHelp("Images (PNG, JPEG or TIFF), left to right.", valueName: "image"))
    var images: [String] = []

    @Option(help: ArgumentHelp("Output sheet (.png), written atomically.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Height of every image in pixels (default: the shortest image's, at most 512).", valueName: "pixels"))
    var height: Int?

    @Option(help: ArgumentHelp("Caption of each image, in order (repeat once per image; default: file names).", valueName: "text"))
    var caption: [String] = []

    @Flag(help: "No captions.")
    var noCaptions = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Store the PNG with a palette of at most n colours (0: full RGB).", valueName: "n"))
    var colors: Int = 0

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        if let height, !ContactSheet.heights.contains(height) {
            throw TransferError.option("--height", "must be \(ContactSheet.heights.lowerBound) to \(ContactSheet.heights.upperBound) pixels, got \(height)")
        }
        if !noCaptions, !caption.isEmpty, caption.count != images.count {
            throw TransferError.option("--caption", "\(caption.count) captions for \(images.count) images; give one per image or none")
        }
    }

    func run() throws {
        try Inspect.checkPNG(output, colors: colors, inputs: images.map { ("image", $0) })
        let loaded = try images.map { try InspectInputs.load($0, role: "image") }
        let captions = noCaptions ? images.map { _ in "" }
            : caption.isEmpty ? images.map { URL(fileURLWithPath: $0).lastPathComponent } : caption
        let height = self.height ?? ContactSheet.defaultHeight(loaded)
        // An image much wider than tall cannot be scaled to the sheet's height: say which.
        for (path, image) in zip(images, loaded) {
            let width = (Double(image.width) * Double(height) / Double(image.height)).rounded()
            guard width <= Double(Image.maxSide) else {
                throw TransferError.file(role: "image", path: path, problem: "is \(image.width)x\(image.height); at a height of \(height) pixels it would be \(Int(width)) wide, more than \(Image.maxSide)")
            }
        }
        let sheet = try ContactSheet(images: loaded, captions: captions, height: height)
        try Inspect.write(sheet.drawing, to: output, colors: colors)
        Console.line("nst: wrote \(output) (\(sheet.drawing.width)x\(sheet.drawing.height))")
    }
}
