import ArgumentParser
import Evaluation
import FaceImaging
import Foundation
import MynaFace
import NeuralCore

/// `mynaface eval`: threshold tuning over a labelled face set (ISO/IEC 19795-1 error rates).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure FMR/FNMR/EER over labelled faces and recommend a threshold.",
        discussion: """
            Input: --folder (identity sub-folders), --csv (path,identity[,set] columns, paths relative to the CSV), \
            or --pairs (LFW pairs.txt or a path_a,path_b,same CSV; with --folder as the LFW image root).
            Output in --out: summary.json, scores.csv, failures.csv, det.svg, histogram.svg and, when the target \
            FMR is resolvable, threshold.json (docs/threshold-config.md). With --model DIR the templates come from \
            that external model and threshold.json names it: the model's calibration (docs/models.md).
            """)

    @Option(help: ArgumentHelp("Labels CSV with path and identity columns (optional set column).", valueName: "FILE"))
    var csv: String?

    @Option(
        help: ArgumentHelp("Folder of identity sub-folders (or the image root of an LFW pairs file).", valueName: "DIR")
    )
    var folder: String?

    @Option(help: ArgumentHelp("Explicit pairs: LFW pairs.txt or CSV path_a,path_b,same.", valueName: "FILE"))
    var pairs: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Keep only this set of the labels CSV (repeatable, or comma-separated).", valueName: "NAME"))
    var sets: [String] = []

    @Flag(
        help:
            "Simulate the card chip: each identity's first photo becomes a greyscale JPEG 2000 portrait in a card-face file."
    )
    var chipSim = false

    @Option(help: ArgumentHelp("Chip portrait size in pixels.", valueName: "WxH"))
    var chipSize = "240x320"

    @Option(help: ArgumentHelp("Chip portrait JPEG 2000 byte budget.", valueName: "BYTES"))
    var chipBytes = 10_000

    @Option(
        help: ArgumentHelp(
            "Impostor pairs to sample (default: 10× the genuine pairs, at least 1000; all if fewer).", valueName: "N"))
    var impostors: Int?

    @Option(help: "Seed of impostor sampling and bootstrap.")
    var seed: UInt64 = 1

    @Option(help: "Score: euclidean (dlib's distance), cosine (of the normalised descriptors) or dot-product (raw).")
    var score: ScoreMetric = .euclidean

    @Flag(help: "Embed the probes in greyscale (every image when there is no --chip-sim).")
    var greyProbe = false

    @Option(
        help:
            "Descriptors: plain (dlib's) or mirror-averaged (the mean with the mirrored chip's; the verifier's default)."
    )
    var descriptor: DescriptorMode = .plain

    @Option(
        help: ArgumentHelp(
            "Fuse N probe photos of one person into one attempt (attempt-level FMR/FNMR; impostor attempts are N photos of one other person).",
            valueName: "N"))
    var fuse = 1

    @Option(
        name: .customLong("calibration-set"),
        help: ArgumentHelp(
            "With several sets: the sets the recommended threshold is chosen on (repeatable; default every set). The others are reported as held out.",
            valueName: "NAME"))
    var calibrationSets: [String] = []

    @Option(
        help:
            "With several sets: observed (FMR ≤ target on each calibration set) or upper-bound (the exact 95% upper bound of FMR ≤ target where the set is large enough)."
    )
    var calibration: PopulationStudy.Calibration = .observed

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR"))
    var out: String

    @Option(help: "FMR the recommended threshold is chosen for (also reported with 0.01, 0.001, 0.0001).")
    var targetFmr = 0.001

    @Option(help: "Worker threads (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Bootstrap replicates for the 95% intervals.")
    var bootstrap = 1000

    @Option(help: ArgumentHelp("Template cache folder (default ~/.cache/mynaface/templates).", valueName: "DIR"))
    var cache: String?

    @Flag(
        help:
            "Presentation-attack detection instead of matching: APCER per attack type, BPCER and DET over the sessions of --attacks (docs/liveness.md)."
    )
    var pad = false

    @Option(
        help: ArgumentHelp(
            "With --pad: the manifest Scripts/make-pad-attacks.py wrote (default ~/.cache/mynaface/pad/manifest.tsv).",
            valueName: "FILE"))
    var attacks: String?

    @Flag(help: "Do not read or write the template cache.")
    var noCache = false

    @Option(
        help: ArgumentHelp(
            "Folder holding the model files (default: $MYNAFACE_MODELS or ~/.cache/mynaface/models).", valueName: "DIR")
    )
    var models: String?

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if pad {
            guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
            return
        }
        let inputs = [csv != nil, pairs != nil, folder != nil && pairs == nil].filter { $0 }.count
        guard inputs == 1 else {
            throw ValidationError(
                "give exactly one of --csv, --folder or --pairs (--folder may accompany --pairs as the image root)")
        }
        if !sets.isEmpty, csv == nil { throw ValidationError("--set applies to --csv only") }
        guard parsedChipSize != nil else { throw ValidationError("--chip-size must look like 240x320") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be ≥ 0") }
        guard targetFmr > 0, targetFmr < 1 else { throw ValidationError("--target-fmr must be in (0, 1)") }
        if let impostors, impostors < 0 { throw ValidationError("--impostors must be ≥ 0") }
    }

    var parsedChipSize: (Int, Int)? {
        let parts = chipSize.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    func run() throws {
        if pad {
            try runPAD()
            return
        }
        let dataset: FaceDataset
        if let csv {
            let names = sets.flatMap { $0.split(separator: ",").map(String.init) }
            dataset = try FaceDataset.labelsCSV(URL(fileURLWithPath: csv), sets: names.isEmpty ? nil : names)
        } else if let pairs {
            dataset = try FaceDataset.pairsFile(
                URL(fileURLWithPath: pairs), root: folder.map { URL(fileURLWithPath: $0) })
        } else {
            dataset = try FaceDataset.folder(URL(fileURLWithPath: folder!))
        }
        var options = EvaluationOptions()
        options.score = score
        options.greyProbe = greyProbe
        if chipSim, let (w, h) = parsedChipSize {
            options.chip = ChipSettings(width: w, height: h, byteBudget: chipBytes)
        }
        options.impostorPairs = impostors
        options.seed = seed
        options.recommendedFMR = targetFmr
        if !options.targetFMRs.contains(targetFmr) { options.targetFMRs.append(targetFmr) }
        options.bootstrapReplicates = bootstrap
        options.descriptor = descriptor
        options.fuse = fuse

        let store = models.map { ModelStore(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? ModelStore()
        let choice = modelOptions.choice
        if case .external = choice { options.dlibOperatingPoints = false }
        let extractor: PipelineExtractor
        do { extractor = try PipelineExtractor(store: store, descriptor: descriptor, model: choice) } catch {
            CLI.fail("mynaface eval: \(error)", status: .modelsOrPipeline)
        }
        let computation = TemplateComputation(
            extractor: extractor,
            chipSimulator: options.chip.map { CardFaceChipSimulator(settings: $0) },
            cache: noCache
                ? nil
                : TemplateCache(directory: cache.map { URL(fileURLWithPath: $0) } ?? TemplateCache.defaultDirectory),
            jobs: jobs, progress: true)
        let started = Date()
        let commandLine = (["mynaface"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let study = PopulationStudy(
            dataset: dataset, options: options, computation: computation,
            calibrationSets: calibrationSets.isEmpty ? nil : Set(calibrationSets), calibration: calibration)
        if study.setNames.count > 1 {
            try runStudy(study, extractor: extractor, command: commandLine, started: started)
            return
        }
        let result = try EvaluationRun(dataset: dataset, options: options, computation: computation)
            .run(modelIdentity: extractor.modelIdentity)
        let outURL = URL(fileURLWithPath: out)
        let configuration = try EvaluationReport.write(
            result, to: outURL, model: extractor.embeddingModel,
            command: commandLine)

        let s = result.summary
        func pct(_ x: Double?) -> String { x.map { String(format: "%.3f%%", $0 * 100) } ?? "not resolvable" }
        print(
            "data set      \(s.dataset): \(s.images) images, \(s.identities) identities\(options.chip != nil ? ", chip-sim" : "")"
        )
        print(
            "comparisons   \(s.genuinePairs) genuine, \(s.impostorPairs) impostor scored; \(s.unscoredGenuinePairs + s.unscoredImpostorPairs) not scored"
        )
        print("FTA           \(pct(s.fta)) (\(s.ftaCount) of \(s.templates) templates; see failures.csv)")
        print("EER           \(pct(s.eer)) at \(s.score) \(String(format: "%.4f", s.eerThreshold))")
        for target in options.targetFMRs {
            let key = EvaluationSummary.key(target)
            let fnmr = s.fnmrAtFMR[key] ?? nil
            let ci =
                (s.fnmrAtFMRCI95[key] ?? nil).map { String(format: " [%.3f%%, %.3f%%]", $0[0] * 100, $0[1] * 100) }
                ?? ""
            let threshold = (s.thresholdAtFMR[key] ?? nil).map { String(format: " at %.4f", $0) } ?? ""
            print("FNMR@FMR=\(key)".padding(toLength: 17, withPad: " ", startingAt: 0) + pct(fnmr) + ci + threshold)
        }
        func rates(_ r: ThresholdRates) -> String {
            String(
                format: "FMR %.3f%% [%.3f%%, %.3f%%] (%d/%d), FNMR %.3f%% [%.3f%%, %.3f%%]", r.fmr * 100,
                r.fmrCI95[0] * 100,
                r.fmrCI95[1] * 100, r.falseMatches, r.impostors, r.fnmr * 100, r.fnmrCI95[0] * 100, r.fnmrCI95[1] * 100)
        }
        if let r = s.atDefaultThreshold { print("at default    \(rates(r)) (threshold \(r.threshold))") }
        if let r = s.atDlibThreshold { print("at dlib 0.6   \(rates(r))") }
        if let configuration {
            print(
                "threshold     \(configuration.metric.rawValue) \(configuration.comparison) \(String(format: "%.6f", configuration.threshold)) (FMR \(EvaluationSummary.key(targetFmr))) → \(outURL.appendingPathComponent("threshold.json").path)"
            )
        } else {
            print(
                "threshold     not written: FMR \(EvaluationSummary.key(targetFmr)) needs at least \(Int((1 / targetFmr).rounded(.up))) impostor comparisons"
            )
        }
        print("time          \(String(format: "%.1f", Date().timeIntervalSince(started))) s; outputs in \(outURL.path)")
    }

    /// Several sets: one run per set (population), rates at the default and the recommended threshold.
    private func runStudy(_ study: PopulationStudy, extractor: PipelineExtractor, command: String, started: Date) throws
    {
        let outcome = try study.run(modelIdentity: extractor.modelIdentity)
        let outURL = URL(fileURLWithPath: out)
        let file = try EvaluationReport.write(
            outcome, study: study, to: outURL, model: extractor.embeddingModel,
            command: command)
        func pct(_ x: Double) -> String { String(format: "%.3f%%", x * 100) }
        func rates(_ r: ThresholdRates?) -> String {
            guard let r else { return "—" }
            return "FMR \(pct(r.fmr)) [\(pct(r.fmrCI95[0])), \(pct(r.fmrCI95[1]))] (\(r.falseMatches)/\(r.impostors)), "
                + "FNMR \(pct(r.fnmr)) [\(pct(r.fnmrCI95[0])), \(pct(r.fnmrCI95[1]))]"
        }
        let kind = fuse > 1 ? "attempts of \(fuse) photos" : "single photos"
        print(
            "study         \(study.setNames.count) sets, \(score.rawValue), \(descriptor.rawValue) descriptors, \(kind)"
        )
        for line in outcome.sets.map({ SetSummary($0, outcome: outcome, options: study.options) }) {
            print("")
            print(
                "set \(line.set) (\(line.population)\(line.calibration ? "" : ", held out")): \(line.images) images, "
                    + "\(line.identities) identities, \(line.genuinePairs) genuine / \(line.impostorPairs) impostor comparisons, EER \(pct(line.eer))"
            )
            if let d = outcome.defaultThreshold {
                print(
                    "  at the default \(d.metric.rawValue) \(d.metric.comparison) \(d.value): \(rates(line.atDefaultThreshold))"
                )
            }
            if line.atDlibThreshold != nil { print("  at dlib's 0.6:           \(rates(line.atDlibThreshold))") }
            if let t = outcome.recommendedThreshold {
                print("  at the recommended \(String(format: "%.6f", t)): \(rates(line.atRecommendedThreshold))")
            }
        }
        print("")
        if let file {
            print(
                "threshold     \(file.metric.rawValue) \(file.comparison) \(String(format: "%.6f", file.threshold)) "
                    + "(\(calibration.rawValue) FMR ≤ \(targetFmr) on \(outcome.sets.filter(\.calibration).map(\.set).joined(separator: ", "))) → "
                    + outURL.appendingPathComponent("threshold.json").path)
        } else {
            print("threshold     not written: no calibration set resolves FMR \(targetFmr)")
        }
        print("time          \(String(format: "%.1f", Date().timeIntervalSince(started))) s; outputs in \(outURL.path)")
    }
}

extension DescriptorMode: ExpressibleByArgument {}
extension PopulationStudy.Calibration: ExpressibleByArgument {}
