// swift-tools-version: 6.1
//
// MynaFace — the face check of a My Number Card reader.
//
// Targets follow the way data flows through a reader (docs/architecture.md draws the graph):
//   card (MynaCard) and decode (FaceImaging) → detect (FaceDetection) → align (FaceAlignment)
//   → embed (FaceEmbedding) → compare/decide (MynaFace) → PIN and card channel (CardAccess)
//   → session (Reception, FaceReception) → eligibility (Eligibility)
// NeuralCore is the tensor engine and dlib model reader the three model stages share. The engine
// (NeuralCore, FaceDetection, FaceAlignment, FaceEmbedding) uses `package` access: integrators import the
// library products below, never the engine. Every target lists exactly the modules it imports.
// C libraries enter only through the system-library targets at the bottom (a module map each).
import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]
// The numeric engine targets (neural core, detect, align, embed) are built with `-Ounchecked` in release:
// no bounds or overflow checks in their hot loops (measured: the checks cost the detector and the ResNet
// most of their speed). Nothing in them parses untrusted bytes — the card parsers (MynaCard) and the
// codec wrappers (FaceImaging) keep Swift's checks on in every configuration.
// They are built for the toolchain's portable baseline (x86-64 with SSE2), so the binary runs on any reader
// PC — some Atom/Celeron ones have no AVX. On a known reader PC, MYNAFACE_TARGET_CPU=<LLVM CPU name> (e.g.
// `haswell` for AVX2 + FMA) lets the Swift SIMD code use that CPU's vector width (BLAS picks its kernels at
// run time either way).
let targetCPU: [String] = ProcessInfo.processInfo.environment["MYNAFACE_TARGET_CPU"].map { ["-target-cpu", $0] } ?? []
let uncheckedNumericEngine: [SwiftSetting] =
    swiftSettings + [
        .unsafeFlags(["-Ounchecked"] + targetCPU, .when(configuration: .release))
    ]
let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")

let package = Package(
    name: "MynaFace",
    platforms: [.macOS(.v15)],
    products: [
        // The 1:1 face check: verifier, templates, thresholds, with the card data and image types it takes.
        .library(name: "MynaFace", targets: ["MynaFace", "MynaCard", "FaceImaging", "CardAccess"]),
        // The reception flow (face → PIN → staff), its face-check adapter, and the qualification check
        // (オンライン資格確認) files and local registry that follow it.
        .library(name: "Reception", targets: ["Reception", "FaceReception", "Eligibility"]),
        // Threshold tuning and the benchmark stages.
        .library(name: "Evaluation", targets: ["Evaluation", "BenchmarkSupport"]),
        // Test doubles: a simulated card and issuer, a demo registry, the photo → card recipe.
        .library(name: "MynaFaceTesting", targets: ["MynaFaceTesting"]),
        // The C interface: libmynaface-c.so, installed as libmynaface.so with mynaface.h and mynaface.pc by
        // Scripts/install-clib.sh (at most five library products: issue 19).
        .library(name: "mynaface-c", type: .dynamic, targets: ["MynaFaceC"]),
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
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // MARK: decode (codecs and images; parses untrusted bytes: checked)
        .target(
            name: "FaceImaging", dependencies: ["CJPEG", "CCodecGlue", "COpenJPEG", "CPNG", log],
            swiftSettings: swiftSettings),

        // MARK: the card's data (BER-TLV, card-face file, certificate, DG2; parses untrusted bytes: checked)
        .target(name: "MynaCard", dependencies: ["FaceImaging"], swiftSettings: swiftSettings),

        // MARK: the neural core shared by detect, align (landmarks) and embed
        .target(name: "NeuralCore", dependencies: ["CBLAS"], swiftSettings: uncheckedNumericEngine),

        // MARK: the ONNX model reader (parses untrusted bytes: checked); the graph executor is in NeuralCore
        .target(
            name: "ONNXFormat",
            dependencies: ["NeuralCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings),

        // MARK: detect → align → embed
        .target(
            name: "FaceDetection", dependencies: ["NeuralCore", "FaceImaging", "CBLAS"],
            swiftSettings: uncheckedNumericEngine),
        .target(
            name: "FaceAlignment", dependencies: ["NeuralCore", "FaceImaging"], swiftSettings: uncheckedNumericEngine),
        .target(
            name: "FaceEmbedding", dependencies: ["NeuralCore", "FaceImaging"], swiftSettings: uncheckedNumericEngine),

        // MARK: compare → decide (the integrator's API)
        .target(
            name: "MynaFace",
            dependencies: [
                "FaceImaging", "MynaCard", "NeuralCore", "FaceDetection", "FaceAlignment", "FaceEmbedding",
                "CardAccess", "ONNXFormat", crypto,
            ],
            swiftSettings: swiftSettings),

        // MARK: card channel and PIN, session, eligibility
        .target(
            name: "CardAccess",
            dependencies: [
                "MynaCard", crypto, .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "BigInt", package: "BigInt"), log,
            ],
            swiftSettings: swiftSettings),
        .target(name: "Reception", dependencies: ["CardAccess", "MynaCard", log], swiftSettings: swiftSettings),
        // The FaceVerifier → reception face-check adapter (its own target: Reception does not need the models).
        .target(name: "FaceReception", dependencies: ["Reception", "MynaFace"], swiftSettings: swiftSettings),
        .target(
            name: "Eligibility",
            dependencies: ["Reception", "MynaCard", "XMLCoder", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),

        // MARK: the C interface (mynaface.h in CMynaFace/include; @_cdecl exports over MynaFace in MynaFaceC)
        .target(name: "CMynaFace"),
        .target(
            name: "MynaFaceC", dependencies: ["CMynaFace", "MynaFace", "FaceImaging", "CardAccess"],
            swiftSettings: swiftSettings),

        // MARK: the local verification service (`mynaface serve`; JSON over HTTP, docs/openapi.yaml)
        .target(
            name: "MynaFaceService",
            dependencies: [
                "MynaFace", "FaceImaging", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"), log,
            ],
            swiftSettings: swiftSettings),

        // MARK: threshold tuning
        .target(
            name: "Evaluation",
            dependencies: ["MynaFace", "FaceImaging", "MynaCard", "FaceDetection", "NeuralCore", crypto],
            swiftSettings: swiftSettings),

        // MARK: benchmark workloads and stages (shared by `mynaface bench` and Benchmarks/)
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "MynaFace", "MynaFaceTesting", "Evaluation", "MynaCard", "CardAccess", "FaceImaging", "FaceDetection",
                "FaceAlignment",
                "FaceEmbedding", "NeuralCore", "CBLAS",
            ],
            swiftSettings: swiftSettings),

        // MARK: test doubles (like NIOEmbedded / NIOTestUtils): never used by the production modules
        .target(
            name: "MynaFaceTesting",
            dependencies: [
                "CardAccess", "MynaCard", "FaceImaging", "Eligibility", crypto,
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),

        // MARK: tools
        .executableTarget(
            name: "mynaface",
            dependencies: [
                "MynaFace", "MynaCard", "FaceImaging", "CardAccess", "Reception", "FaceReception",
                "Eligibility", "Evaluation", "BenchmarkSupport", "MynaFaceTesting", "MynaFaceService",
                "FaceDetection", "FaceAlignment", "NeuralCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), log,
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "MynaFaceFuzz", dependencies: ["MynaCard", "FaceImaging", log], swiftSettings: swiftSettings),

        // MARK: C libraries (Debian packages), wrapped once each in FaceImaging / NeuralCore
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libblas-dev", "libopenblas0-pthread"])]),
        // setjmp/longjmp trampolines libjpeg's error manager needs (Swift cannot longjmp).
        .target(name: "CCodecGlue", dependencies: ["CJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),

        // MARK: tests
        .target(
            name: "TestSupport", dependencies: ["NeuralCore"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "FaceImagingTests", dependencies: ["FaceImaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "MynaCardTests", dependencies: ["MynaCard", "FaceImaging", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NeuralCoreTests", dependencies: ["NeuralCore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ONNXTests",
            dependencies: ["ONNXFormat", "NeuralCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FaceDetectionTests", dependencies: ["FaceDetection", "FaceImaging", "NeuralCore", "CBLAS", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FaceAlignmentTests", dependencies: ["FaceAlignment", "FaceImaging", "NeuralCore", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FaceEmbeddingTests", dependencies: ["FaceEmbedding", "FaceImaging", "NeuralCore", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MynaFaceTests",
            dependencies: [
                "MynaFace", "MynaCard", "FaceImaging", "FaceAlignment", "FaceEmbedding", "CardAccess", "Evaluation",
                "MynaFaceTesting", "NeuralCore", "TestSupport",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CardAccessTests",
            dependencies: [
                "CardAccess", "MynaCard", "FaceImaging", "MynaFaceTesting", crypto,
                .product(name: "_CryptoExtras", package: "swift-crypto"), log,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReceptionTests",
            dependencies: ["Reception", "CardAccess", "MynaCard", "FaceImaging", "MynaFaceTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EligibilityTests",
            dependencies: ["Eligibility", "Reception", "MynaCard", "MynaFaceTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "MynaFace", "FaceImaging", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["MynaFace", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ServiceTests", dependencies: ["MynaFaceService", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CLibraryTests", dependencies: ["TestSupport"], exclude: ["C"], swiftSettings: swiftSettings),
    ]
)
