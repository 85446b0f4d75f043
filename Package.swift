// swift-tools-version:6.0
// dd: dataset distillation toolkit. Layering (each module only imports those above it in this list):
//   COpenBLAS, CZlib → DDKernels → DDTensor → DDAutograd → DDNN → DDAugment
//   → DDFormat, DDData → DDBias, DDRender → DDCLI → executables (argument parsing only)
import PackageDescription

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "dd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dd-fetch", targets: ["dd-fetch"]),
        .executable(name: "dd-render", targets: ["dd-render"]),
        .executable(name: "dd-expert", targets: ["dd-expert"]),
        .executable(name: "dd-distill", targets: ["dd-distill"]),
        .executable(name: "dd-eval", targets: ["dd-eval"]),
        .executable(name: "dd-bias", targets: ["dd-bias"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "DDKernels", dependencies: ["COpenBLAS"], swiftSettings: release),
        .target(name: "DDTensor", dependencies: ["DDKernels"], swiftSettings: release),
        .target(name: "DDAutograd", dependencies: ["DDTensor"], swiftSettings: release),
        .target(name: "DDNN", dependencies: ["DDAutograd", "DDTensor"], swiftSettings: release),
        .target(name: "DDAugment", dependencies: ["DDAutograd", "DDTensor"], swiftSettings: release),
        .target(name: "DDFormat", dependencies: ["CZlib"], swiftSettings: release),
        .target(name: "DDData", dependencies: ["DDFormat", "CZlib"], swiftSettings: release),
        .target(name: "DDMethods", dependencies: ["DDNN", "DDAugment", "DDAutograd", "DDTensor", "DDData", "DDFormat", "DDTrain",
                                                 "DDExpert"],
                swiftSettings: release),
        .target(name: "DDTrain", dependencies: ["DDNN", "DDAugment", "DDAutograd", "DDTensor", "DDData"],
                swiftSettings: release),
        .target(name: "DDEval", dependencies: ["DDTrain", "DDNN", "DDAugment", "DDAutograd", "DDTensor", "DDData",
                                               "DDFormat"], swiftSettings: release),
        .target(name: "DDBias", dependencies: ["DDData", "DDFormat", "DDTensor"], swiftSettings: release),
        .target(name: "DDRender", dependencies: ["DDData", "DDFormat", "CZlib"], swiftSettings: release),
        .target(name: "DDCLI", dependencies: [
            "DDKernels", "DDFormat", "DDData", "DDRender",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "DDExpert", dependencies: ["DDTrain", "DDNN", "DDAugment", "DDTensor", "DDData", "DDFormat"],
                swiftSettings: release),

        .executableTarget(name: "dd-expert", dependencies: [
            "DDCLI", "DDExpert", "DDTrain", "DDNN", "DDAugment", "DDData", "DDFormat", "DDKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dd-fetch", dependencies: [
            "DDCLI", "DDData", "DDFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dd-bias", dependencies: [
            "DDCLI", "DDBias", "DDData", "DDFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dd-render", dependencies: [
            "DDCLI", "DDRender", "DDData", "DDFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets only: the gradient checker, the tool runner, the real-data mirror.
        .target(name: "DDTestSupport", dependencies: ["DDAutograd", "DDTensor"], path: "Tests/DDTestSupport"),
        .executableTarget(name: "dd-bench", dependencies: [
            "DDMethods", "DDNN", "DDAutograd", "DDTensor", "DDKernels", "DDData", "COpenBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/dd-bench", swiftSettings: release),
        .executableTarget(name: "dd-distill", dependencies: [
            "DDCLI", "DDMethods", "DDData", "DDFormat",
        ]),
        .executableTarget(name: "dd-eval", dependencies: [
            "DDCLI", "DDEval", "DDTrain", "DDNN", "DDData", "DDFormat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "DDKernelsTests", dependencies: ["DDKernels"]),
        .testTarget(name: "DDAutogradTests", dependencies: ["DDTestSupport", "DDAutograd", "DDTensor"], exclude: ["golden"]),
        .testTarget(name: "DDNNTests", dependencies: ["DDTestSupport", "DDNN", "DDAutograd", "DDTensor"], exclude: ["golden"]),
        .testTarget(name: "DDAugmentTests", dependencies: ["DDTestSupport", "DDAugment", "DDAutograd", "DDTensor"], exclude: ["golden"]),
        .testTarget(name: "DDMethodsTests", dependencies: ["DDTestSupport", "DDMethods", "DDNN", "DDAugment", "DDAutograd", "DDTensor", "DDData",
                                                        "DDFormat", "DDExpert", "DDTrain", "DDEval"]),
        .testTarget(name: "DDFormatTests", dependencies: ["DDTestSupport", "DDFormat"]),
        .testTarget(name: "DDDataTests", dependencies: ["DDTestSupport", "DDData", "DDFormat"]),
        .testTarget(name: "DDRenderTests", dependencies: ["DDTestSupport", "DDRender", "DDData", "DDFormat"]),
        .testTarget(name: "DDCLITests", dependencies: ["DDCLI", "DDKernels"]),
        .testTarget(name: "DDExpertTests", dependencies: ["DDTestSupport", "DDExpert", "DDTrain", "DDNN", "DDAugment", "DDData", "DDFormat"]),
        .testTarget(name: "DDTrainTests", dependencies: ["DDTestSupport", "DDTrain", "DDNN", "DDAugment", "DDAutograd", "DDTensor", "DDData"]),
        .testTarget(name: "DDBiasTests", dependencies: ["DDTestSupport", "DDBias", "DDAugment", "DDData", "DDFormat"]),
        .testTarget(name: "DDEvalTests", dependencies: ["DDTestSupport", "DDEval", "DDTrain", "DDNN", "DDData", "DDFormat"]),
    ],
    swiftLanguageModes: [.v5]
)
