import Foundation
import NeuralCore

#if canImport(Crypto)
    import Crypto
#endif

/// What the evaluation needs from the face pipeline: image bytes in, a template out.
///
/// The real implementation (decode → detect → landmarks → align → embed) is supplied by the `MynaFace`
/// module; tests use a deterministic fake. Called concurrently from several threads.
public protocol FaceTemplateExtractor: Sendable {
    /// Names the model(s) and pipeline settings; part of the template cache key, so it must change
    /// whenever templates would (e.g. include the model files' SHA-256).
    var modelIdentity: String { get }

    /// The embedding model's name, recorded in threshold files (``MynaFace/FaceVerifier/embeddingModel`` for
    /// dlib's ResNet); a verifier refuses a threshold file made for another model.
    var embeddingModel: String { get }

    /// The template of the most prominent face in an encoded image (JPEG, PNG, JPEG 2000, …).
    /// - Parameter greyscale: convert the image to greyscale before detection and embedding.
    /// - Returns: the template, or nil when no face is found (a failure to acquire).
    /// - Throws: when the image cannot be decoded (also counted as a failure to acquire, with the reason).
    func template(for imageBytes: [UInt8], greyscale: Bool) throws -> [Float]?
}

/// Turns a photo into the portrait a card chip would hold (see ``CardFaceChipSimulator``).
public protocol ChipPortraitSimulator: Sendable {
    /// The settings (size, byte budget, codec); part of the template cache key.
    var settingsIdentity: String { get }

    /// The portrait bytes as read back from the simulated card-face file (what a reader would embed).
    /// - Throws: when the photo cannot be decoded or the portrait cannot be encoded or parsed back.
    func chipPortrait(from photoBytes: [UInt8]) throws -> [UInt8]
}

/// The outcome of template extraction for one image.
public enum TemplateOutcome: Sendable, Equatable {
    /// A template.
    case template([Float])
    /// Failure to acquire: the image decoded but no face was found.
    case noFace
    /// Failure to acquire: the image could not be read, decoded or simulated; the reason.
    case failed(String)

    /// The template, when there is one.
    public var template: [Float]? {
        if case .template(let t) = self { return t }
        return nil
    }
}

/// One template to compute: an image, how it is presented to the extractor.
public struct TemplateJob: Sendable, Hashable {
    /// The image.
    public var image: LabelledImage
    /// True: the photo becomes a simulated chip portrait first.
    public var chip: Bool
    /// True: the extractor converts it to greyscale.
    public var greyscale: Bool

    public init(image: LabelledImage, chip: Bool, greyscale: Bool) {
        self.image = image
        self.chip = chip
        self.greyscale = greyscale
    }

    /// The name written to `scores.csv`: the image name, prefixed `chip:` for a simulated portrait.
    public var displayName: String { (chip ? "chip:" : "") + image.name }
}

/// A content-addressed on-disk cache of templates.
///
/// Key: SHA-256 (FNV-1a 64 when swift-crypto is unavailable) of the image bytes, combined with the
/// model identity and the job options (chip settings, greyscale). Entries are small binary files
/// (`MFT1`, status, count, little-endian Float32s) written atomically with owner-only permissions:
/// templates are biometric data.
public struct TemplateCache: Sendable {
    /// The cache folder.
    public let directory: URL

    /// A cache in `directory` (created with permissions 0700 when missing).
    public init(directory: URL) {
        self.directory = directory
        try? FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
    }

    /// The default location, ``NeuralCore/MynaFacePaths/templates`` (`<cache root>/templates`).
    public static var defaultDirectory: URL { MynaFacePaths.current.templates }

    /// The hex digest of `bytes` used in keys.
    public static func digest(_ bytes: [UInt8]) -> String {
        #if canImport(Crypto)
            return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        #else
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            return String(format: "%016llx", h) + String(format: "%016llx", UInt64(bytes.count))
        #endif
    }

    /// The cache key of an image's bytes under the given options.
    public static func key(contentDigest: String, options: String) -> String {
        contentDigest + "-" + String(digest(Array(options.utf8)).prefix(16))
    }

    /// The cached outcome, or nil when absent or unreadable. Cached outcomes are templates and no-face results.
    public func load(key: String) -> TemplateOutcome? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(key + ".tmpl")) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("MFT1".utf8) else { return nil }
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        let status = u32(4)
        let count = u32(8)
        if status == 0 { return count == 0 && bytes.count == 12 ? .noFace : nil }
        guard status == 1, bytes.count == 12 + 4 * count else { return nil }
        var template = [Float](repeating: 0, count: count)
        for i in 0..<count { template[i] = Float(bitPattern: UInt32(truncatingIfNeeded: u32(12 + 4 * i))) }
        return .template(template)
    }

    /// Stores an outcome (failures are not cached: they may be transient). Errors are ignored: the
    /// cache is an optimisation.
    public func store(_ outcome: TemplateOutcome, key: String) {
        var bytes = Array("MFT1".utf8)
        func put(_ v: UInt32) {
            for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
        }
        switch outcome {
        case .failed: return
        case .noFace:
            put(0)
            put(0)
        case .template(let t):
            put(1)
            put(UInt32(t.count))
            for v in t { put(v.bitPattern) }
        }
        let url = directory.appendingPathComponent(key + ".tmpl")
        do {
            try Data(bytes).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        } catch {}
    }
}

/// Computes templates for a list of jobs, in parallel, with an optional cache and progress bar.
public struct TemplateComputation: Sendable {
    /// The extractor.
    public var extractor: any FaceTemplateExtractor
    /// The chip simulator (needed only for chip jobs).
    public var chipSimulator: (any ChipPortraitSimulator)?
    /// The on-disk cache, or nil for none.
    public var cache: TemplateCache?
    /// Worker threads (≥ 1).
    public var jobs: Int
    /// Draw a progress bar on standard error (only when it is a terminal).
    public var progress: Bool

    /// Images larger than this are refused (a failure to acquire) rather than read.
    public static let maximumImageBytes = 64 << 20

    public init(
        extractor: any FaceTemplateExtractor, chipSimulator: (any ChipPortraitSimulator)? = nil,
        cache: TemplateCache? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: Bool = true
    ) {
        self.extractor = extractor
        self.chipSimulator = chipSimulator
        self.cache = cache
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// The outcome of every job, in job order.
    public func run(_ work: [TemplateJob]) -> [TemplateOutcome] {
        let state = SharedState(count: work.count, showProgress: progress && isatty(STDERR_FILENO) == 1)
        let workers = min(jobs, max(1, work.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = state.nextIndex() {
                let outcome = compute(work[index])
                state.finish(index, outcome)
            }
        }
        state.endProgress()
        return state.results()
    }

    /// One job: read, (simulate the chip), look up the cache, extract, store.
    func compute(_ job: TemplateJob) -> TemplateOutcome {
        let bytes: [UInt8]
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: job.image.url.path)
            if let size = attributes[.size] as? Int, size > Self.maximumImageBytes {
                return .failed("file is \(size) bytes, more than \(Self.maximumImageBytes)")
            }
            bytes = [UInt8](try Data(contentsOf: job.image.url))
        } catch {
            return .failed("cannot read \(job.image.url.path)")
        }
        var options = "model=\(extractor.modelIdentity);grey=\(job.greyscale)"
        if job.chip {
            guard let chipSimulator else { return .failed("no chip simulator configured") }
            options += ";chip=\(chipSimulator.settingsIdentity)"
        }
        let key = TemplateCache.key(contentDigest: TemplateCache.digest(bytes), options: options)
        if let cached = cache?.load(key: key) { return cached }
        var input = bytes
        if job.chip, let chipSimulator {
            do { input = try chipSimulator.chipPortrait(from: bytes) } catch {
                return .failed("chip simulation: \(error)")
            }
        }
        let outcome: TemplateOutcome
        do {
            if let template = try extractor.template(for: input, greyscale: job.greyscale || job.chip) {
                outcome =
                    template.isEmpty || !template.allSatisfy(\.isFinite)
                    ? .failed("template is empty or not finite") : .template(template)
            } else {
                outcome = .noFace
            }
        } catch {
            outcome = .failed(String(describing: error))
        }
        cache?.store(outcome, key: key)
        return outcome
    }
}

/// Work queue, results and progress shared by the worker threads (guarded by one lock).
private final class SharedState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private var outcomes: [TemplateOutcome]
    private let count: Int
    private let showProgress: Bool
    private var lastDrawn = -1

    init(count: Int, showProgress: Bool) {
        self.count = count
        self.showProgress = showProgress
        outcomes = Array(repeating: .failed("not computed"), count: count)
    }

    func nextIndex() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func finish(_ index: Int, _ outcome: TemplateOutcome) {
        lock.lock()
        defer { lock.unlock() }
        outcomes[index] = outcome
        done += 1
        guard showProgress else { return }
        let width = 40
        let filled = count == 0 ? width : done * width / count
        let percent = count == 0 ? 100 : done * 100 / count
        if percent != lastDrawn || done == count {
            lastDrawn = percent
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\rtemplates [\(bar)] \(done)/\(count)".utf8))
        }
    }

    func endProgress() {
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func results() -> [TemplateOutcome] {
        lock.lock()
        defer { lock.unlock() }
        return outcomes
    }
}
