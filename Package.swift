// swift-tools-version: 6.1
//
// MynaFace — the face check of a My Number Card reader.
//
// Targets are grouped the way data flows through a reader:
//   decode (FaceImaging) → detect (FaceDetection) → align (FaceAlignment) → embed (FaceEmbedding)
//   → compare/decide (MynaFace) → PIN and card (CardAccess) → session (Reception) → eligibility (Eligibility)
// NeuralCore is the tensor engine and dlib model reader the three model stages share.
// C libraries enter only through the system-library targets at the bottom (a module map each).
import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]
// The numeric targets (decode, neural core, detect, align, embed) are built for the toolchain's portable
// baseline (x86-64 with SSE2), so the binary runs on any reader PC — some Atom/Celeron ones have no AVX.
// On a known reader PC, MYNAFACE_TARGET_CPU=<LLVM CPU name> (e.g. `haswell` for AVX2 + FMA) lets the Swift
// SIMD code use that CPU's vector width (BLAS picks its kernels at run time either way).
let targetCPU: [String] = ProcessInfo.processInfo.environment["MYNAFACE_TARGET_CPU"].map { ["-target-cpu", $0] } ?? []
let fastMath: [SwiftSetting] = swiftSettings + [
    .unsafeFlags(["-Ounchecked"] + targetCPU, .when(configuration: .release)),
]

let package = Package(
    name: "MynaFace",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MynaFace", targets: ["MynaFace"]),
        .library(name: "FaceImaging", targets: ["FaceImaging"]),
        .library(name: "NeuralCore", targets: ["NeuralCore"]),
        .library(name: "FaceDetection", targets: ["FaceDetection"]),
        .library(name: "FaceAlignment", targets: ["FaceAlignment"]),
        .library(name: "FaceEmbedding", targets: ["FaceEmbedding"]),
        .library(name: "CardAccess", targets: ["CardAccess"]),
        .library(name: "Reception", targets: ["Reception"]),
        .library(name: "Eligibility", targets: ["Eligibility"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "BenchmarkSupport", targets: ["BenchmarkSupport"]),
        .executable(name: "mynaface", targets: ["mynaface"]),
        .executable(name: "mynaface-fuzz", targets: ["MynaFaceFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder.git", from: "0.17.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
    ],
    targets: [
        // MARK: decode
        .target(
            name: "FaceImaging",
            dependencies: ["CJPEG", "CCodecGlue", "COpenJPEG", "CPNG", .product(name: "Logging", package: "swift-log")],
            swiftSettings: fastMath),

        // MARK: the neural core shared by detect, align (landmarks) and embed
        .target(name: "NeuralCore", dependencies: ["CBLAS"], swiftSettings: fastMath),

        // MARK: detect → align → embed
        .target(name: "FaceDetection", dependencies: ["NeuralCore", "FaceImaging"], swiftSettings: fastMath),
        .target(name: "FaceAlignment", dependencies: ["NeuralCore", "FaceImaging"], swiftSettings: fastMath),
        .target(name: "FaceEmbedding", dependencies: ["NeuralCore", "FaceImaging"], swiftSettings: fastMath),

        // MARK: compare → decide (the integrator's API)
        .target(
            name: "MynaFace",
            dependencies: ["FaceImaging", "FaceDetection", "FaceAlignment", "FaceEmbedding", "CardAccess",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        // MARK: card, PIN, session, eligibility
        .target(
            name: "CardAccess",
            dependencies: ["FaceImaging",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "_CryptoExtras", package: "swift-crypto"),
                           .product(name: "BigInt", package: "BigInt"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(name: "Reception", dependencies: ["CardAccess", "MynaFace"], swiftSettings: swiftSettings),
        .target(
            name: "Eligibility",
            dependencies: ["Reception", "XMLCoder", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),

        // MARK: threshold tuning
        .target(name: "Evaluation", dependencies: ["MynaFace", "FaceImaging", "CardAccess",
                                                  .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),

        // MARK: benchmark workloads and stages (shared by `mynaface bench` and Benchmarks/)
        .target(
            name: "BenchmarkSupport",
            dependencies: ["MynaFace", "Evaluation", "CardAccess", "FaceImaging", "FaceDetection", "FaceAlignment",
                           "FaceEmbedding", "NeuralCore", "CBLAS"],
            swiftSettings: swiftSettings),

        // MARK: tools
        .executableTarget(
            name: "mynaface",
            dependencies: ["MynaFace", "FaceImaging", "FaceDetection", "FaceAlignment", "FaceEmbedding", "NeuralCore",
                           "CardAccess", "Reception", "Eligibility", "Evaluation", "BenchmarkSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .executableTarget(name: "MynaFaceFuzz", dependencies: ["FaceImaging"], swiftSettings: swiftSettings),

        // MARK: C libraries (Debian packages), wrapped once each in FaceImaging / NeuralCore
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libblas-dev", "libopenblas0-pthread"])]),
        // setjmp/longjmp trampolines libjpeg's error manager needs (Swift cannot longjmp).
        .target(name: "CCodecGlue", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["FaceImaging"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "FaceImagingTests", dependencies: ["FaceImaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "NeuralCoreTests", dependencies: ["NeuralCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FaceDetectionTests", dependencies: ["FaceDetection", "FaceImaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FaceAlignmentTests", dependencies: ["FaceAlignment", "FaceImaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FaceEmbeddingTests", dependencies: ["FaceEmbedding", "FaceImaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MynaFaceTests", dependencies: ["MynaFace", "CardAccess", "Evaluation", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CardAccessTests", dependencies: ["CardAccess", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ReceptionTests", dependencies: ["Reception", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EligibilityTests", dependencies: ["Eligibility", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
    ]
)
