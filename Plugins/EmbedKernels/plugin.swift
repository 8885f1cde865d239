// EmbedKernels: build-tool plugin that embeds the top-level Kernels/*.cl sources into the NSTOpenCL target.
import Foundation
import PackagePlugin

/// Runs `EmbedKernelsTool` over every `Kernels/*.cl` file of the package and adds the
/// generated `KernelSources.swift` to the target's sources.
///
/// The sources are compiled into the binary (not copied as resources) so that an `nst`
/// executable copied to any folder still finds its kernels: nothing is looked up at run time.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let kernelsDirectory = context.package.directoryURL.appending(path: "Kernels")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kernelsDirectory.path)) ?? []
        // Sorted so the generated file (and hence the build) does not depend on directory order.
        let kernels = names.filter { $0.hasSuffix(".cl") }.sorted().map { kernelsDirectory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "KernelSources.swift")
        let tool = try context.tool(named: "EmbedKernelsTool")
        return [
            .buildCommand(
                displayName: "Embedding \(kernels.count) OpenCL kernel sources",
                executable: tool.url,
                arguments: [output.path] + kernels.map(\.path),
                // Listing the .cl files as inputs makes an edited kernel rebuild the target.
                inputFiles: kernels,
                outputFiles: [output]),
        ]
    }
}
