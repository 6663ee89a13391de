// package-benchmark suite: the same stages as `mynaface bench` (defined once in BenchmarkSupport),
// with wall time, throughput, allocations and peak resident memory per stage.
//
//   cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
//   MYNAFACE_BENCH_THREADS=1 swift package benchmark --filter embed   # one thread (BLAS anchor, embedding team)
import Benchmark
import BenchmarkSupport
import Foundation
import MynaFace
import NeuralCore

nonisolated(unsafe) var prepared: (FaceVerifier, [BenchmarkStage])?

func prepare() throws -> [BenchmarkStage] {
    if let prepared { return prepared.1 }
    var verifier = try FaceVerifier()
    if let t = ProcessInfo.processInfo.environment["MYNAFACE_BENCH_THREADS"].flatMap(Int.init) {
        BLASThreads.set(t)
        var analyzer = verifier.analyzer
        analyzer.embedder.threads = max(1, t)
        verifier = FaceVerifier(analyzer: analyzer, configuration: verifier.configuration)
    }
    let samples =
        ProcessInfo.processInfo.environment["MYNAFACE_SAMPLES"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mynaface/samples")
    let workload = try BenchmarkWorkload.make(analyzer: verifier.analyzer, samples: samples)
    let stages = try BenchmarkSuite.stages(workload: workload, verifier: verifier) + [BenchmarkSuite.anchorStage()]
    prepared = (verifier, stages)
    return stages
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 100)

    Benchmark("model load (3 models, compiled caches)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try FaceVerifier()) }
    }

    let stages: [BenchmarkStage]
    do { stages = try prepare() } catch {
        fatalError("benchmark workload: \(error) — run Scripts/fetch-models.sh first")
    }
    for stage in stages {
        Benchmark(stage.title) { benchmark in
            for _ in benchmark.scaledIterations { try stage.run() }
        }
    }
}
