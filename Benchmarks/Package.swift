// swift-tools-version: 6.1
//
// The benchmark harness (ordo-one/package-benchmark), kept in its own package so that building and
// testing MynaFace does not build the harness. Run from this folder:
//   swift package --allow-writing-to-package-directory benchmark
// or through Scripts/bench.sh, which also runs the CI regression check against Benchmarks/baseline.json.
import PackageDescription

let package = Package(
    name: "MynaFaceBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MynaFace", path: ".."),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "MynaFaceBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "MynaFace", package: "MynaFace"),
                .product(name: "BenchmarkSupport", package: "MynaFace"),
                .product(name: "NeuralCore", package: "MynaFace"),
            ],
            path: "MynaFaceBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)
