import ArgumentParser
import BenchmarkSupport
import FaceImaging
import Foundation
import MynaFace
import NeuralCore

/// `mynaface bench [--json]`: every stage timed on this machine, as ratios against an sgemm anchor
/// measured in the same run; `--check` compares the ratios with a baseline and fails on a regression.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time every stage (decode, detect, landmarks, align, embed, verify) on this machine.",
        discussion: """
            Each stage runs after a warm-up until at least --min-iterations runs and --seconds seconds; the table \
            gives the median and p90 in milliseconds and the ratio to an sgemm anchor timed in the same run. \
            --check FILE fails (exit 1) when a stage's ratio exceeds the baseline's by more than --tolerance \
            (a stage over its limit is measured up to twice more, against a fresh anchor, before it fails).
            """)

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(
        help:
            "Threads: the anchor's BLAS threads and the embedding's team size (default: all cores; the detector always uses all cores)."
    )
    var threads: Int?

    @Option(help: "Seconds per stage (at least).")
    var seconds: Double = 1.0

    @Option(help: "Runs per stage (at least).")
    var minIterations: Int = 5

    @Option(help: "Only these stage ids (comma-separated).")
    var stages: String?

    @Option(help: "Compare with a baseline file (Benchmarks/baseline.json) and fail on a regression.")
    var check: String?

    @Option(help: "Allowed ratio growth against the baseline before --check fails.")
    var tolerance: Double = 1.6

    @Option(help: "Write the measured ratios as a new baseline file.")
    var writeBaseline: String?

    @Option(
        help:
            "Write the workload (frame-1280x720.jpg, frame-640x480.jpg, cardface.bin, portrait.jp2, chip.png) to this folder, for the dlib comparison script."
    )
    var exportWorkload: String?

    @Option(help: "Folder with the sample photos (default: $MYNAFACE_SAMPLES, else the cache root's samples folder).")
    var samples: String?

    struct Report: Codable {
        var threads: Int?
        var anchorGFLOPS: Double
        var embeddingFloorMs: Double
        var embeddingShareOfFloor: Double?
        var stages: [StageMeasurement]
    }

    func run() throws {
        if let threads { BLASThreads.set(threads) }
        let samplesURL = samples.map { URL(fileURLWithPath: $0) } ?? MynaFacePaths.current.samples
        let loadStart = DispatchTime.now()
        var verifier: FaceVerifier
        do { verifier = try FaceVerifier() } catch { CLI.fail("mynaface bench: \(error)", status: .modelsOrPipeline) }
        if let threads {
            var analyzer = verifier.analyzer
            analyzer.embeddingThreads = max(1, threads)
            verifier = try FaceVerifier(analyzer: analyzer, configuration: verifier.configuration)
        }
        let loadMs = Double(DispatchTime.now().uptimeNanoseconds - loadStart.uptimeNanoseconds) / 1e6
        let workload: BenchmarkWorkload
        do { workload = try BenchmarkWorkload.make(analyzer: verifier.analyzer, samples: samplesURL) } catch {
            CLI.fail("mynaface bench: \(error)", status: .modelsOrPipeline)
        }
        if let exportWorkload {
            let dir = URL(fileURLWithPath: exportWorkload)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(workload.frame720JPEG).write(to: dir.appendingPathComponent("frame-1280x720.jpg"))
            try Data(workload.frame480JPEG).write(to: dir.appendingPathComponent("frame-640x480.jpg"))
            try Data(workload.cardFace).write(to: dir.appendingPathComponent("cardface.bin"))
            try Data(workload.portraitJP2).write(to: dir.appendingPathComponent("portrait.jp2"))
            try Data(PNGEncoder.encode(workload.chip)).write(to: dir.appendingPathComponent("chip.png"))
        }
        let wanted = stages.map { Set($0.split(separator: ",").map(String.init)) }
        var all = try BenchmarkSuite.stages(workload: workload, verifier: verifier)
        if let wanted { all = all.filter { wanted.contains($0.id) } }

        let anchor = try BenchmarkSuite.measure(BenchmarkSuite.anchorStage(), minIterations: 20, minSeconds: 0.5)
        var results: [StageMeasurement] = []
        var load = StageMeasurement(
            id: "model_load", title: "model load (3 models, compiled caches)", iterations: 1,
            medianMs: loadMs, p90Ms: loadMs, minMs: loadMs, itemsPerRun: 1)
        load.ratioToAnchor = loadMs / anchor.medianMs
        results.append(load)
        for stage in all {
            var m = try BenchmarkSuite.measure(stage, minIterations: minIterations, minSeconds: seconds)
            m.ratioToAnchor = m.medianMs / anchor.medianMs
            results.append(m)
            if !json { CLI.note("measured \(stage.id)") }
        }
        let gflops = BenchmarkSuite.anchorGFLOP / (anchor.medianMs / 1000)
        let floorMs = 2 * BenchmarkSuite.embeddingGMAC / gflops * 1000
        let embed = results.first { $0.id == "embed_1" }
        let report = Report(
            threads: threads ?? WorkerTeam.processorCount, anchorGFLOPS: roundTo(gflops, 2),
            embeddingFloorMs: roundTo(floorMs, 3),
            embeddingShareOfFloor: embed.map { roundTo(floorMs / $0.medianMs, 3) }, stages: results + [anchor])
        if json {
            try CLI.printJSON(report)
        } else {
            print(
                "stage".padding(toLength: 44, withPad: " ", startingAt: 0) + "   median      p90   per item   ×anchor")
            for m in results + [anchor] {
                print(
                    m.title.padding(toLength: 44, withPad: " ", startingAt: 0)
                        + String(
                            format: " %8.2f %8.2f %10.3f %9.2f", m.medianMs, m.p90Ms, m.perItemMs, m.ratioToAnchor ?? 1)
                )
            }
            print(
                String(
                    format: "anchor sgemm: %.1f GFLOPS; embedding compute floor %.2f ms/chip (0.271 GMAC at that rate)",
                    gflops, floorMs))
            if let embed {
                print(String(format: "embedding reaches %.0f%% of the compute floor", 100 * floorMs / embed.medianMs))
            }
        }
        if let writeBaseline {
            try BenchmarkBaseline(measurements: results).save(to: URL(fileURLWithPath: writeBaseline))
        }
        if let check {
            let baseline: BenchmarkBaseline
            do { baseline = try BenchmarkBaseline.load(from: URL(fileURLWithPath: check)) } catch {
                CLI.fail("mynaface bench: \(error)", status: .unreadableInput)
            }
            let checks = try baseline.check(results, tolerance: tolerance) { id in
                guard let stage = all.first(where: { $0.id == id }) else { return 0 }
                let a = try BenchmarkSuite.measure(BenchmarkSuite.anchorStage(), minIterations: 20, minSeconds: 0.5)
                return try BenchmarkSuite.measure(stage, minIterations: minIterations, minSeconds: seconds).medianMs
                    / a.medianMs
            }
            var regressions: [String] = []
            for c in checks {
                let seen = c.measured.map { String(format: "%.2f×", $0) }.joined(separator: ", ")
                if c.regressed {
                    regressions.append(
                        String(format: "%@ %@ anchor vs baseline %.2f× (limit %.2f×)", c.id, seen, c.baseline, c.limit))
                } else {
                    CLI.note("bench check: \(c.id) over its limit once, within it when measured again (\(seen))")
                }
            }
            if regressions.isEmpty {
                CLI.note("bench check: no stage regressed beyond \(tolerance)× its baseline ratio")
            } else {
                CLI.fail("bench check failed: " + regressions.joined(separator: "; "), status: .failure)
            }
        }
    }
}
