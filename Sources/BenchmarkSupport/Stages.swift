import CBLAS
import CardAccess
import FaceAlignment
import FaceDetection
import FaceEmbedding
import FaceImaging
import Foundation
import MynaFace
import NeuralCore

/// One benchmarked stage: a name and the work of one run.
public struct BenchmarkStage: Sendable {
    /// Stable identifier (used as the key in `Benchmarks/baseline.json`).
    public let id: String
    /// What it measures, for tables.
    public let title: String
    /// Items one run processes (16 for a batch of 16 chips), so times can be given per item.
    public let itemsPerRun: Int
    /// The work of one run.
    public let run: @Sendable () throws -> Void
}

/// Timing statistics of one stage, milliseconds per run.
public struct StageMeasurement: Sendable, Codable {
    public var id: String
    public var title: String
    public var iterations: Int
    public var medianMs: Double
    public var p90Ms: Double
    public var minMs: Double
    public var itemsPerRun: Int
    /// Median milliseconds per item.
    public var perItemMs: Double { medianMs / Double(itemsPerRun) }
    /// The median divided by the anchor's median measured in the same run (machine-independent-ish).
    public var ratioToAnchor: Double?

    public init(
        id: String, title: String, iterations: Int, medianMs: Double, p90Ms: Double, minMs: Double,
        itemsPerRun: Int, ratioToAnchor: Double? = nil
    ) {
        self.id = id
        self.title = title
        self.iterations = iterations
        self.medianMs = medianMs
        self.p90Ms = p90Ms
        self.minMs = minMs
        self.itemsPerRun = itemsPerRun
        self.ratioToAnchor = ratioToAnchor
    }
}

/// The stages of the pipeline, in data-flow order, over a prepared workload.
public enum BenchmarkSuite {
    /// Every stage of issue 8's list: decode, detect, landmarks, align, embed (1 and 16), similarity, verify —
    /// with verify split into enrolment of the card face (once per card read) and the per-frame check against it, the
    /// per-frame check with dlib's plain descriptor (what mirror averaging costs), and a fused attempt of 3 frames.
    public static func stages(workload w: BenchmarkWorkload, verifier base: FaceVerifier) throws -> [BenchmarkStage] {
        var configured = base
        configured.configuration.authenticator = CardFaceAuthenticator(anchors: TrustAnchors([w.anchor]))
        let verifier = configured
        var plain = configured
        plain.configuration.threshold = .dlibDefault
        plain.configuration.fusedThreshold = nil
        let plainVerifier = plain
        let analyzer = verifier.analyzer
        let template = try verifier.enroll(portrait: w.cardFace, certificate: w.certificate)
        let e1 = try analyzer.embedder.embedding(ofChip: w.chips16[0])
        let e2 = try analyzer.embedder.embedding(ofChip: w.chips16[1])
        let details = try FaceChip.details(for: w.landmarks)
        let frame720Grey = w.frame720.greyscale()
        // A streaming verification's worst case for the cues: 60 frames of landmarks (the budget's frame limit).
        let base5 = w.landmarks.points.map { SIMD2(Double($0.x), Double($0.y)) }
        let track60 = (0..<60).map { k in
            base5.enumerated().map { i, p in p + SIMD2(Double(k % 7) * 0.3, Double(i * k % 5) * 0.2) }
        }
        return [
            BenchmarkStage(id: "jpeg_decode_1280x720", title: "JPEG decode 1280×720", itemsPerRun: 1) {
                _ = try ImageDecoder.decode(w.frame720JPEG)
            },
            BenchmarkStage(
                id: "jp2_decode_portrait", title: "JPEG 2000 decode 240×320 grey (\(w.portraitJP2.count / 1000) KB)",
                itemsPerRun: 1
            ) {
                _ = try ImageDecoder.decode(w.portraitJP2)
            },
            BenchmarkStage(id: "detect_640x480", title: "detect (MMOD) 640×480", itemsPerRun: 1) {
                _ = try analyzer.detector.detect(in: w.frame480)
            },
            BenchmarkStage(id: "detect_1280x720", title: "detect (MMOD) 1280×720", itemsPerRun: 1) {
                _ = try analyzer.detector.detect(in: w.frame720)
            },
            BenchmarkStage(id: "detect_1280x720_grey", title: "detect (MMOD) 1280×720 greyscale", itemsPerRun: 1) {
                _ = try analyzer.detector.detect(in: frame720Grey)
            },
            BenchmarkStage(id: "landmarks", title: "5-point landmarks", itemsPerRun: 1) {
                _ = analyzer.predictor.landmarks(in: w.frame720, face: w.face)
            },
            BenchmarkStage(id: "align", title: "align 150×150 chip", itemsPerRun: 1) {
                _ = try FaceChip.extract(from: w.frame720, details: details)
            },
            BenchmarkStage(id: "embed_1", title: "embed 1 chip", itemsPerRun: 1) {
                _ = try analyzer.embedder.embedding(ofChip: w.chip)
            },
            BenchmarkStage(id: "embed_16", title: "embed 16 chips (per chip)", itemsPerRun: 16) {
                _ = try analyzer.embedder.embeddings(ofChips: w.chips16)
            },
            BenchmarkStage(id: "similarity", title: "similarity (cosine + distance) ×1000", itemsPerRun: 1000) {
                var acc: Float = 0
                for _ in 0..<1000 { acc += e1.cosineSimilarity(to: e2) + e1.euclideanDistance(to: e2) }
                if acc.isNaN { throw WorkloadError.preparation("NaN") }
            },
            BenchmarkStage(id: "enroll_card_face", title: "enrol: card-face file → template", itemsPerRun: 1) {
                _ = try verifier.enroll(portrait: w.cardFace, certificate: w.certificate)
            },
            BenchmarkStage(id: "verify_frame", title: "verify: 1280×720 JPEG vs enrolled card", itemsPerRun: 1) {
                _ = try verifier.verify(template, probe: w.frame720JPEG)
            },
            BenchmarkStage(
                id: "verify_frame_plain", title: "verify: 1280×720 JPEG, dlib's plain descriptor", itemsPerRun: 1
            ) {
                _ = try plainVerifier.verify(template, probe: w.frame720JPEG)
            },
            BenchmarkStage(
                id: "verify_attempt_3", title: "verify: attempt of 3 fused 1280×720 JPEGs (per frame)", itemsPerRun: 3
            ) {
                _ = try verifier.verifyAttempt(template, probes: [w.frame720JPEG, w.frame720JPEG, w.frame720JPEG])
            },
            BenchmarkStage(
                id: "verify_attempt_3_liveness",
                title: "verify: attempt of 3 fused 1280×720 JPEGs with the liveness challenge (per frame)",
                itemsPerRun: 3
            ) {
                _ = try verifier.verifyAttempt(
                    template, probes: [w.frame720JPEG, w.frame720JPEG, w.frame720JPEG],
                    liveness: .challenge(.left))
            },
            BenchmarkStage(
                id: "liveness_cues_60", title: "liveness: turn and parallax over a 60-frame track (per frame)",
                itemsPerRun: 60
            ) {
                var checker = LivenessChecker()
                checker.parallaxInChallenge = true
                guard checker.assess(track60, policy: .challenge(.left)) != nil else {
                    throw WorkloadError.preparation("liveness")
                }
            },
            BenchmarkStage(id: "enroll_and_verify", title: "verify: card-face file + 1280×720 JPEG", itemsPerRun: 1) {
                let t = try verifier.enroll(portrait: w.cardFace, certificate: w.certificate)
                _ = try verifier.verify(t, probe: w.frame720JPEG)
            },
        ] + shapeStages(workload: w, verifier: verifier, template: template)
    }

    /// The liveness challenge on dlib's 68-point shapes (the 68-point predictor runs on every frame), when the
    /// 68-point model is in the default store; none otherwise.
    static func shapeStages(workload w: BenchmarkWorkload, verifier: FaceVerifier, template: PortraitTemplate)
        -> [BenchmarkStage]
    {
        guard FaceVerifier.hasShapeModel(ModelStore()), var analyzer = try? FaceAnalyzer(fullShape: true) else {
            return []
        }
        analyzer.embeddingThreads = verifier.analyzer.embeddingThreads
        guard let shapeVerifier = try? FaceVerifier(analyzer: analyzer, configuration: verifier.configuration) else {
            return []
        }
        return [
            BenchmarkStage(
                id: "verify_attempt_3_liveness68",
                title: "verify: attempt of 3 fused 1280×720 JPEGs, liveness challenge on 68-point shapes (per frame)",
                itemsPerRun: 3
            ) {
                _ = try shapeVerifier.verifyAttempt(
                    template, probes: [w.frame720JPEG, w.frame720JPEG, w.frame720JPEG], liveness: .challenge(.left))
            }
        ]
    }

    /// The anchor measured in every run: one `cblas_sgemm` of a convolution-like shape
    /// (M 128, N 1024, K 1152 — a 3×3 conv of 128 channels on a 32×32 map), 0.30 GFLOP.
    public static func anchorStage() -> BenchmarkStage {
        let m = 128
        let n = 1024
        let k = 1152
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: k * n)
        let box = SGEMMScratch(count: m * n)
        return BenchmarkStage(id: "anchor_sgemm", title: "anchor: sgemm 128×1024×1152", itemsPerRun: 1) {
            box.withBuffer { c in
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(k), b, Int32(n), 0, c.baseAddress, Int32(n))
            }
        }
    }

    /// GFLOP of one anchor run.
    public static let anchorGFLOP = 2.0 * 128 * 1024 * 1152 / 1e9
    /// Multiply-adds of one ResNet embedding (dlib's network, im2col-nominal).
    public static let embeddingGMAC = 0.270854144

    /// Runs `stage` until `minIterations` runs and `minSeconds` have passed (after one warm-up run),
    /// stopping at `maxIterations`.
    public static func measure(
        _ stage: BenchmarkStage, minIterations: Int = 5, maxIterations: Int = 200,
        minSeconds: Double = 0.5
    ) throws -> StageMeasurement {
        try stage.run()  // warm-up: caches, workspaces, page faults
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while samples.count < maxIterations {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try stage.run()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if samples.count >= minIterations && elapsed >= minSeconds { break }
        }
        samples.sort()
        func pct(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count - 1) * p + 0.5))] }
        return StageMeasurement(
            id: stage.id, title: stage.title, iterations: samples.count, medianMs: pct(0.5),
            p90Ms: pct(0.9), minMs: samples[0], itemsPerRun: stage.itemsPerRun, ratioToAnchor: nil)
    }
}

/// Output storage of the anchor GEMM, owned for the process's life (only the benchmark thread touches it).
final class SGEMMScratch: @unchecked Sendable {
    private var storage: [Float]
    private let lock = NSLock()
    init(count: Int) { storage = [Float](repeating: 0, count: count) }
    func withBuffer(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        storage.withUnsafeMutableBufferPointer { body($0) }
    }
}
