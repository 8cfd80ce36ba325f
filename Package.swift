// swift-tools-version: 6.1
import PackageDescription

// Lockstep: a synchronous-composability block builder for Ethereum rollups.
// Modules follow DESIGN.md §2; lower layers never import upper ones.
let package = Package(
    name: "Lockstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lockstep", targets: ["lockstep"]),
        .library(name: "Primitives", targets: ["Primitives"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries: thin system-library targets, with shims where Swift cannot call the C API directly.
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1",
                       providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "CGMP", providers: [.apt(["libgmp-dev"])]),
        .target(name: "CCurl",
                linkerSettings: [.linkedLibrary("curl")]),

        .target(name: "Primitives",
                dependencies: ["CSecp256k1"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),

        .executableTarget(name: "lockstep",
                          dependencies: [
                              "Primitives", "CCurl", "CGMP",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ]),

        .testTarget(name: "PrimitivesTests",
                    dependencies: ["Primitives", "CCurl", "CGMP"]),
    ],
    swiftLanguageModes: [.v6]
)
