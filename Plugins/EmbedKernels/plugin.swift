// EmbedKernels: build-tool plugin that embeds the top-level Kernels/*.cl sources and Tuning/Database/*.json entries into the NSTOpenCL target.
import Foundation
import PackagePlugin

/// Runs `EmbedKernelsTool` over every `Kernels/*.cl` file of the package, making
/// `KernelSources.swift`, and over every `Tuning/Database/*.json` file, making
/// `TuningDatabaseSources.swift` (the shipped OpenCL tuning entries), and adds both to the
/// target's sources.
///
/// The files are compiled into the binary (not copied as resources) so that an `nst`
/// executable copied to any folder still finds its kernels and tuning entries: nothing is
/// looked up at run time.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let tool = try context.tool(named: "EmbedKernelsTool")
        func embed(folder: String, suffix: String, into name: String, what: String) -> Command {
            let directory = context.package.directoryURL.appending(path: folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            let files = names.filter { $0.hasSuffix(suffix) }.sorted().map { directory.appending(path: $0) }
            let output = context.pluginWorkDirectoryURL.appending(path: name)
            return .buildCommand(
                // No count: a file added later is embedded without the plugin running again.
                displayName: "Embedding \(what)",
                executable: tool.url,
                // The tool lists the folder itself (see its usage).
                arguments: [output.path, directory.path, suffix],
                // The files make an edited one rebuild the target; the folder, an added or removed one.
                inputFiles: [directory] + files,
                outputFiles: [output])
        }
        return [
            embed(folder: "Kernels", suffix: ".cl", into: "KernelSources.swift", what: "OpenCL kernel sources"),
            embed(folder: "Tuning/Database", suffix: ".json", into: "TuningDatabaseSources.swift",
                  what: "shipped OpenCL tuning entries"),
        ]
    }
}
