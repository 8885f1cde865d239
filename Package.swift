// swift-tools-version: 6.0
// Package manifest: the StyleTransfer library, the nst tool, system library modules and tests.
import PackageDescription

// NST_WITHOUT_FFMPEG=1 builds CVideo without FFmpeg: video files are refused with one line,
// while frame folders and patterns still work. The GPU bundle is built so (scripts/gpu): FFmpeg
// and the codecs Debian's build links (x265, AV1, codec2, librsvg, ICU, ...) are 25 MiB of the
// 64 MiB that may travel to a GPU machine.
let withFFmpeg = Context.environment["NST_WITHOUT_FFMPEG"].map { $0.isEmpty || $0 == "0" } ?? true

let package = Package(
    name: "StyleTransfer",
    products: [
        .library(name: "StyleTransfer", targets: ["StyleTransfer"]),
        .executable(name: "nst", targets: ["nst"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // nst serve's HTTP and WebSocket server: small, on POSIX sockets, no SwiftNIO (README "Web interface").
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        // System libraries, found through pkg-config; `providers` tells SwiftPM which
        // Debian packages supply them when they are missing.
        .systemLibrary(
            name: "COpenCL", path: "Sources/COpenCL", pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "libclblast-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(
            name: "CTIFF", path: "Sources/CTIFF", pkgConfig: "libtiff-4",
            providers: [.apt(["libtiff-dev"])]),
        // Little CMS 2: converts images with an embedded ICC profile to sRGB (CCodecs/icc_convert.c).
        .systemLibrary(
            name: "CLCMS2", path: "Sources/CLCMS2", pkgConfig: "lcms2",
            providers: [.apt(["liblcms2-dev"])]),
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev", "fonts-dejavu-core"])]),
        // FFmpeg's libraries (5.1 on Debian 12), for reading and writing video (CVideo).
        .systemLibrary(
            name: "CAVFormat", path: "Sources/CAVFormat", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev"])]),
        .systemLibrary(
            name: "CAVCodec", path: "Sources/CAVCodec", pkgConfig: "libavcodec",
            providers: [.apt(["libavcodec-dev"])]),
        .systemLibrary(
            name: "CSWScale", path: "Sources/CSWScale", pkgConfig: "libswscale",
            providers: [.apt(["libswscale-dev"])]),
        .systemLibrary(
            name: "CAVUtil", path: "Sources/CAVUtil", pkgConfig: "libavutil",
            providers: [.apt(["libavutil-dev"])]),
        // Our own C shim over libpng/libjpeg/libtiff: the first two report errors by longjmp, which
        // Swift cannot catch, libtiff through handlers; here both become codes. Decoded images
        // with an embedded ICC profile are converted to sRGB there, through Little CMS.
        .target(
            name: "CCodecs",
            dependencies: ["CPNG", "CJPEG", "CTIFF", "CLCMS2"],
            path: "Sources/CCodecs"),
        // Our own C shim over FFmpeg: video files read and written frame by frame, every
        // error a code and a line (FFmpeg's log silenced), files opened by descriptor only.
        .target(
            name: "CVideo",
            dependencies: withFFmpeg ? ["CAVFormat", "CAVCodec", "CSWScale", "CAVUtil"] : [],
            path: "Sources/CVideo",
            cSettings: withFFmpeg ? [] : [.define("NST_WITHOUT_FFMPEG")]),
        // Optical flow through OpenCV 4 (DIS, Farneback): C++ behind a C interface that catches
        // every exception. Debian's per-module packages (libopencv-video-dev) ship no
        // opencv4.pc, so the include path and the two libraries used are named here.
        .target(
            name: "CFlow",
            path: "Sources/CFlow",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [.linkedLibrary("opencv_video"), .linkedLibrary("opencv_core")]),
        // The layers, each a target so the compiler enforces which way dependencies point
        // (docs/ARCHITECTURE.md): core types and the Device protocol; the two backends; images
        // and weights; the method; the pictures; the run on top.
        .target(name: "NSTCore", path: "Sources/NSTCore"),
        // The CPU backend's own C kernels (packed Winograd products), one body per instruction
        // set, chosen at run time. Optimised in debug builds too: the test suite runs them.
        .target(
            name: "CKernels", path: "Sources/CKernels",
            cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "NSTCPU", dependencies: ["NSTCore", "CBLAS", "CKernels"], path: "Sources/NSTCPU"),
        .target(
            name: "NSTOpenCL",
            dependencies: ["NSTCore", "COpenCL"],
            path: "Sources/NSTOpenCL",
            plugins: ["EmbedKernels"]),
        // Images in and out: codecs (through CCodecs), ICC conversion, orientation, resizing.
        .target(name: "NSTImages", dependencies: ["NSTCore", "CPNG", "CJPEG", "CCodecs"], path: "Sources/NSTImages"),
        // Video in and out (MP4, MOV, MKV, WebM, AVI, GIF through CVideo) and optical flow
        // between frames (through CFlow).
        .target(name: "NSTVideo", dependencies: ["NSTCore", "NSTImages", "CVideo", "CFlow"], path: "Sources/NSTVideo"),
        // Weights files behind one front (safetensors, .pth, .caffemodel), the cache and its downloads.
        .target(name: "NSTWeights", dependencies: ["NSTCore"], path: "Sources/NSTWeights"),
        // The method: the network on a device, the loss terms and objectives (whole, controlled,
        // tiled), the optimisers and the controls of the result (LAPACK, through OpenBLAS, for the
        // W2 style loss's matrix square roots).
        .target(name: "NSTMethod", dependencies: ["NSTCore", "NSTImages", "NSTWeights", "CBLAS"], path: "Sources/NSTMethod"),
        // The pictures of `nst plot`, `activations`, `gram`, `example` and `sheet`, drawn with Cairo.
        .target(
            name: "NSTInspect", dependencies: ["NSTCore", "NSTImages", "NSTWeights", "NSTMethod", "CCairo"],
            path: "Sources/NSTInspect"),
        // The run: options resolved once into a plan, the runner and its outputs, bench and
        // device selection; re-exports every layer below.
        .target(
            name: "StyleTransfer",
            dependencies: ["NSTCore", "NSTCPU", "NSTOpenCL", "NSTImages", "NSTVideo", "NSTWeights", "NSTMethod", "NSTInspect"],
            path: "Sources/StyleTransfer"),
        // The op table (every op, shape and code path) with its naive Double reference, as a
        // library: `nst selftest` runs it on a user's device, the op table tests on every backend.
        .target(name: "NSTSelfTest", dependencies: ["NSTCore", "NSTCPU", "NSTOpenCL"], path: "Sources/NSTSelfTest"),
        // Embeds Kernels/*.cl into NSTOpenCL as string literals, so `nst` runs from any folder.
        .executableTarget(name: "EmbedKernelsTool", path: "Plugins/EmbedKernelsTool"),
        .plugin(
            name: "EmbedKernels", capability: .buildTool(),
            dependencies: ["EmbedKernelsTool"], path: "Plugins/EmbedKernels"),
        // `nst transfer`'s options as argument-parser groups, shared by the commands that run a
        // transfer (transfer, video) and by `nst serve`, which checks a job's options with them.
        .target(
            name: "NSTArguments",
            dependencies: ["StyleTransfer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/NSTArguments"),
        // `nst serve`: the jobs, their workers and the HTTP API and page (FlyingFox).
        .target(
            name: "NSTServe",
            dependencies: ["StyleTransfer", "NSTArguments", .product(name: "FlyingFox", package: "FlyingFox"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/NSTServe"),
        .executableTarget(
            name: "nst",
            dependencies: [
                "StyleTransfer", "NSTArguments", "NSTServe", "NSTSelfTest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/nst"),
        .testTarget(
            name: "StyleTransferTests",
            // CLCMS2: the ICC tests make their source profiles with Little CMS; CKernels: the
            // kernel tests run each instruction set's variant.
            dependencies: [
                "StyleTransfer", "NSTCore", "NSTCPU", "NSTOpenCL", "NSTImages", "NSTVideo", "NSTWeights", "NSTMethod", "NSTInspect",
                "NSTSelfTest", "CLCMS2", "CKernels",
            ],
            path: "Tests/StyleTransferTests"),
    ],
    swiftLanguageModes: [.v6]
)
