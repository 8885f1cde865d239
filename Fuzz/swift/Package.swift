// swift-tools-version: 6.0
// Fuzz package: libFuzzer targets over the Swift parsers, kept out of the main package so `swift build`/`swift test` never see them.
import Foundation
import PackageDescription

// The root package is a path dependency, whose identity is its folder's name (any clone's name).
let rootFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let root = rootFolder.lastPathComponent.lowercased()

// SwiftPM's --sanitize=fuzzer would make every executable main-less, the root package's
// build-tool plugin too; so scripts/fuzz.sh instruments the code for coverage itself
// (-sanitize-coverage) and the targets link libFuzzer without its main, whose path it
// passes in NST_LIBFUZZER, and start it from their Swift main (FuzzSupport.runFuzzer).
// libFuzzer is C++ built against libstdc++. (The debug build's testability is what lets
// fuzz-image and fuzz-seeds use `@testable import`.)
let libFuzzer = ProcessInfo.processInfo.environment["NST_LIBFUZZER"].map { ["-Xlinker", $0] } ?? []

func target(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "StyleTransfer", package: root)],
                      linkerSettings: [.unsafeFlags(libFuzzer), .linkedLibrary("stdc++")])
}

let package = Package(
    name: "NSTFuzz",
    dependencies: [.package(path: rootFolder.path)],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        target("fuzz-safetensors"),
        target("fuzz-pth"),
        target("fuzz-caffemodel"),
        target("fuzz-image"),
        // Writes the Swift targets' seeds with the reader tests' own file writers (symbolic links).
        .executableTarget(name: "fuzz-seeds", dependencies: [.product(name: "StyleTransfer", package: root)]),
    ],
    swiftLanguageModes: [.v6]
)
