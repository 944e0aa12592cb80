// swift-tools-version:6.0
import PackageDescription

// Release builds of the numeric modules get -Ounchecked-style speed from plain -O plus
// unsafe buffer pointers; no CPU-specific flags (a binary must run on AVX2 and AVX-512 hosts).
let package = Package(
    name: "Weft",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Weft", targets: ["Weft"]),
        .library(name: "WeftNN", targets: ["WeftNN"]),
        .library(name: "WeftData", targets: ["WeftData"]),
        .executable(name: "weft", targets: ["weft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CWeftShims", path: "Sources/CWeftShims"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Weft", dependencies: ["CDNNL", "COpenBLAS", "CWeftShims"]),
        .target(name: "WeftNN", dependencies: ["Weft", "WeftData"]),
        .target(name: "WeftData", dependencies: ["Weft", "CZlib"]),
        .executableTarget(name: "weft", dependencies: [
            "Weft", "WeftNN", "WeftData", "COpenBLAS", "CWeftShims",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "WeftTests", dependencies: ["Weft"]),
        .testTarget(name: "WeftNNTests", dependencies: ["WeftNN", "Weft"]),
        .testTarget(name: "WeftDataTests", dependencies: ["WeftData", "Weft"]),
    ]
)
