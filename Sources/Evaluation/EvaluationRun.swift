import Foundation
import MynaFace

/// Settings of the chip simulation (`--chip-sim`).
public struct ChipSettings: Sendable, Equatable, Codable {
    /// Portrait width in pixels (default 240).
    public var width: Int
    /// Portrait height in pixels (default 320).
    public var height: Int
    /// JPEG 2000 byte budget (default 10 000 bytes).
    public var byteBudget: Int

    public init(width: Int = 240, height: Int = 320, byteBudget: Int = 10_000) {
        self.width = width
        self.height = height
        self.byteBudget = byteBudget
    }

    enum CodingKeys: String, CodingKey {
        case width, height
        case byteBudget = "byte_budget"
    }
}

/// The options of an evaluation run.
public struct EvaluationOptions: Sendable, Codable, Equatable {
    /// How templates are scored.
    public var score: ScoreMetric = .euclidean
    /// Present probes in greyscale (all images when there is no chip simulation; see ``EvaluationRun``).
    public var greyProbe = false
    /// The chip simulation, or nil.
    public var chip: ChipSettings?
    /// Impostor pairs to sample (nil: ten times the genuine pairs, at least 1000; all when fewer exist).
    public var impostorPairs: Int?
    /// Seed of impostor sampling and bootstrap.
    public var seed: UInt64 = 1
    /// The FMR targets reported.
    public var targetFMRs: [Double] = [1e-2, 1e-3, 1e-4]
    /// The FMR the recommended threshold is chosen for.
    public var recommendedFMR = 1e-3
    /// Bootstrap replicates for the confidence intervals.
    public var bootstrapReplicates = 1000
    /// How the extractor forms descriptors (recorded; the extractor applies it).
    public var descriptor: DescriptorMode = .plain
    /// Probe photos fused into one attempt (1: every probe is compared alone). With N > 1, each reference is compared
    /// with the mean descriptor of N distinct probe photos of one identity — its own (genuine attempt) or another
    /// identity's of the same set (impostor attempt); probes are taken N at a time in file order, a remainder
    /// smaller than N is dropped.
    public var fuse = 1
    /// True when the templates come from dlib's ResNet: the rates at dlib's operating points (the reader default and
    /// dlib's 0.6) are reported. False for an external model, whose scores those points do not apply to.
    public var dlibOperatingPoints = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case score, chip, seed, descriptor, fuse
        case greyProbe = "grey_probe"
        case impostorPairs = "impostor_pairs_requested"
        case targetFMRs = "target_fmrs"
        case recommendedFMR = "recommended_fmr"
        case bootstrapReplicates = "bootstrap_replicates"
    }
}

/// One scored comparison (a row of `scores.csv`).
public struct ScoredPair: Sendable, Equatable {
    public var nameA: String
    public var nameB: String
    public var same: Bool
    /// The similarity (raw dot product for `--score cosine`, normalised cosine otherwise).
    public var similarity: Double
    /// The Euclidean distance.
    public var distance: Double
}

/// An image whose template could not be obtained.
public struct AcquisitionFailure: Sendable, Equatable {
    /// The image's name (prefixed `chip:` for a simulated portrait).
    public var name: String
    /// "no face" or the decode/simulation error.
    public var reason: String
    /// Comparisons that could not be scored because of it.
    public var pairsAffected: Int
}

/// Everything an evaluation run produced.
public struct EvaluationResult: Sendable {
    /// The scored comparisons, in pair order.
    public var scores: [ScoredPair]
    /// Images without a template.
    public var failures: [AcquisitionFailure]
    /// Comparisons not scored (one or both images failed to acquire), genuine and impostor.
    public var unscoredGenuine: Int
    public var unscoredImpostor: Int
    /// The summary written to `summary.json`.
    public var summary: EvaluationSummary
    /// The error rates' input.
    public var comparisonScores: ComparisonScores
}

/// An evaluation run: pairs → templates → scores → ISO/IEC 19795-1 metrics.
///
/// ## Protocols
/// Without a pairs file, ``PairProtocol`` draws the comparisons. With `chip`, each identity's first
/// photo is turned into a simulated chip portrait by the ``ChipPortraitSimulator`` (always embedded in
/// greyscale) and compared with the identity's other photos and with other identities' photos; for a
/// pairs file, image A of every pair is the one simulated.
///
/// ## Greyscale probes
/// `greyProbe` presents the probes in greyscale: under the chip protocol the live photos (the chip is
/// grey anyway); otherwise every image, so both sides of a comparison are grey.
///
/// ## FTA
/// The failure-to-acquire rate is the fraction of distinct templates needed (images, plus chip
/// portraits) for which no template was obtained. Comparisons involving them are not scored; they are
/// counted (``EvaluationResult/unscoredGenuine`` …) and listed in `failures.csv`, never silently dropped.
/// FMR and FNMR are computed over the scored comparisons.
public struct EvaluationRun: Sendable {
    public var dataset: FaceDataset
    public var options: EvaluationOptions
    public var computation: TemplateComputation

    public init(dataset: FaceDataset, options: EvaluationOptions, computation: TemplateComputation) {
        self.dataset = dataset
        self.options = options
        self.computation = computation
    }

    /// Runs the evaluation.
    /// - Throws: ``EvaluationError/noComparisons(genuine:impostor:)`` when no genuine or no impostor
    ///   comparison could be scored; ``EvaluationError/invalidOption(name:detail:)`` for a bad option.
    public func run(modelIdentity: String) throws(EvaluationError) -> EvaluationResult {
        for t in options.targetFMRs + [options.recommendedFMR] where !(t > 0 && t < 1) {
            throw .invalidOption(name: "--target-fmr", detail: "\(t) is not in (0, 1)")
        }
        if let chip = options.chip {
            guard (16...4096).contains(chip.width), (16...4096).contains(chip.height) else {
                throw .invalidOption(
                    name: "--chip-size", detail: "\(chip.width)x\(chip.height) is outside 16…4096 pixels")
            }
            guard (200...60_000).contains(chip.byteBudget) else {
                throw .invalidOption(
                    name: "--chip-bytes",
                    detail: "\(chip.byteBudget) is outside 200…60000 bytes (a card-face file must stay below 64 KiB)")
            }
        }
        if let n = options.impostorPairs, n < 0 { throw .invalidOption(name: "--impostors", detail: "must be ≥ 0") }
        guard (1...16).contains(options.fuse) else { throw .invalidOption(name: "--fuse", detail: "must be 1…16") }

        let images = dataset.images
        let chip = options.chip != nil
        // Fused attempts need every probe of an impostor identity: no sampling unless a count is asked for.
        let impostorRequest = options.fuse > 1 ? (options.impostorPairs ?? Int.max) : options.impostorPairs
        // Pairs, as indices into images; `a` is the reference (chip) side.
        let pairs: [ImagePair]
        if let explicit = dataset.explicitPairs {
            pairs = explicit
        } else if chip {
            pairs = PairProtocol.chipPairs(images, impostors: impostorRequest, seed: options.seed).pairs
        } else {
            pairs = PairProtocol.allPairs(images, impostors: impostorRequest, seed: options.seed)
        }
        guard !pairs.isEmpty else { throw .empty(detail: "the protocol produced no comparisons") }

        // The distinct templates needed.
        var jobIndex: [TemplateJob: Int] = [:]
        var jobs: [TemplateJob] = []
        func job(_ image: Int, reference: Bool) -> Int {
            let j = TemplateJob(
                image: images[image], chip: chip && reference,
                greyscale: options.greyProbe && !(chip && reference))
            if let i = jobIndex[j] { return i }
            jobs.append(j)
            jobIndex[j] = jobs.count - 1
            return jobs.count - 1
        }
        let jobPairs = pairs.map { (a: job($0.a, reference: true), b: job($0.b, reference: false), same: $0.same) }
        let outcomes = computation.run(jobs)

        var scores: [ScoredPair] = []
        scores.reserveCapacity(jobPairs.count)
        var affected = [Int](repeating: 0, count: jobs.count)
        var unscoredGenuine = 0
        var unscoredImpostor = 0
        if options.fuse > 1 {
            // Attempts: the probes of each (reference, probe identity) pair group, N at a time in file order.
            var groups: [String: (a: Int, same: Bool, probes: [Int])] = [:]
            var order: [String] = []
            for (p, original) in zip(jobPairs, pairs) {
                let key = "\(p.a)|\(images[original.b].identity)"
                if groups[key] == nil {
                    groups[key] = (p.a, p.same, [])
                    order.append(key)
                }
                groups[key]!.probes.append(p.b)
            }
            for key in order {
                let g = groups[key]!
                for start in stride(from: 0, to: g.probes.count - options.fuse + 1, by: options.fuse) {
                    let chunk = Array(g.probes[start..<(start + options.fuse)])
                    let names = chunk.map { jobs[$0].displayName }.joined(separator: "+")
                    guard let ta = outcomes[g.a].template else {
                        affected[g.a] += 1
                        if g.same { unscoredGenuine += 1 } else { unscoredImpostor += 1 }
                        continue
                    }
                    let probes = chunk.compactMap { outcomes[$0].template }
                    guard probes.count == chunk.count else {
                        for j in chunk where outcomes[j].template == nil { affected[j] += 1 }
                        if g.same { unscoredGenuine += 1 } else { unscoredImpostor += 1 }
                        continue
                    }
                    var mean = [Float](repeating: 0, count: ta.count)
                    for t in probes {
                        guard t.count == ta.count else {
                            throw .dimensionMismatch(
                                pathA: jobs[g.a].displayName, pathB: names, a: ta.count, b: t.count)
                        }
                        for i in mean.indices { mean[i] += t[i] }
                    }
                    for i in mean.indices { mean[i] /= Float(probes.count) }
                    scores.append(
                        ScoredPair(
                            nameA: jobs[g.a].displayName, nameB: "fuse:" + names, same: g.same,
                            similarity: options.score.similarity(ta, mean),
                            distance: ScoreMetric.distance(ta, mean)))
                }
            }
        }
        for p in jobPairs where options.fuse == 1 {
            guard let ta = outcomes[p.a].template, let tb = outcomes[p.b].template else {
                if outcomes[p.a].template == nil { affected[p.a] += 1 }
                if outcomes[p.b].template == nil, p.b != p.a { affected[p.b] += 1 }
                if p.same { unscoredGenuine += 1 } else { unscoredImpostor += 1 }
                continue
            }
            guard ta.count == tb.count else {
                throw .dimensionMismatch(
                    pathA: jobs[p.a].displayName, pathB: jobs[p.b].displayName, a: ta.count, b: tb.count)
            }
            scores.append(
                ScoredPair(
                    nameA: jobs[p.a].displayName, nameB: jobs[p.b].displayName, same: p.same,
                    similarity: options.score.similarity(ta, tb), distance: ScoreMetric.distance(ta, tb)))
        }
        var failures: [AcquisitionFailure] = []
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .template: continue
            case .noFace:
                failures.append(
                    AcquisitionFailure(name: jobs[i].displayName, reason: "no face", pairsAffected: affected[i]))
            case .failed(let reason):
                failures.append(
                    AcquisitionFailure(name: jobs[i].displayName, reason: reason, pairsAffected: affected[i]))
            }
        }
        let genuine = scores.filter(\.same).map {
            options.score.decisionScore(similarity: $0.similarity, distance: $0.distance)
        }
        let impostor = scores.filter { !$0.same }.map {
            options.score.decisionScore(similarity: $0.similarity, distance: $0.distance)
        }
        let comparison = try ComparisonScores(genuine: genuine, impostor: impostor, direction: options.score.direction)

        let summary = EvaluationSummary(
            scores: comparison, options: options, dataset: dataset, modelIdentity: modelIdentity,
            templates: jobs.count, failures: failures.count,
            unscoredGenuine: unscoredGenuine, unscoredImpostor: unscoredImpostor)
        var result = EvaluationResult(
            scores: scores, failures: failures, unscoredGenuine: unscoredGenuine,
            unscoredImpostor: unscoredImpostor, summary: summary, comparisonScores: comparison)
        let defaultPoint = options.fuse > 1 ? MatchThreshold.readerDefaultFused : MatchThreshold.readerDefault
        if options.dlibOperatingPoints, defaultPoint.descriptor == options.descriptor {
            result.summary.atDefaultThreshold = PopulationStudy.rates(result, at: defaultPoint)
        }
        if options.dlibOperatingPoints, options.descriptor == .plain {
            result.summary.atDlibThreshold = PopulationStudy.rates(result, at: .dlibDefault)
        }
        return result
    }
}
