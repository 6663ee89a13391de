import FaceAlignment
import FaceDetection
import FaceEmbedding
import FaceImaging
import Foundation

/// One camera frame's part in a fused attempt: whether a usable face was acquired, and its quality.
public struct FrameReport: Sendable, Equatable {
    /// The frame's position in the attempt (0-based, in the order given).
    public var index: Int
    /// Why no usable face was taken from the frame; nil when one was.
    public var notAcquired: NotAcquiredReason?
    /// The face's quality measurements, when a face was found.
    public var quality: FaceQuality?
    /// The face box, when a face was found.
    public var faceBox: FaceRect?
    /// True when the frame's descriptor went into the fused descriptor.
    public var fused: Bool
}

/// The decision of one face attempt made of several camera frames (``FaceVerifier/verifyAttempt(_:probes:)``).
public struct AttemptResult: Sendable {
    /// One decision for the whole attempt: match, no match, or not acquired (no frame had a usable face; the
    /// reason is the best frame's).
    public var decision: MatchDecision
    /// Cosine similarity of the normalised fused descriptor and the portrait's, when compared.
    public var similarity: Double?
    /// Euclidean distance of the fused descriptor and the portrait's, when compared.
    public var distance: Double?
    /// The operating point applied (the fused one when several frames were fused).
    public var threshold: MatchThreshold
    /// Frames fused into the compared descriptor.
    public var framesFused: Int
    /// Every frame, in the order given.
    public var frames: [FrameReport]
    /// Milliseconds for the whole attempt (decode, detect, align, embed every frame, compare once).
    public var totalMilliseconds: Double
    /// The liveness check over the attempt's frames; nil under ``LivenessPolicy/off`` or when no face was seen.
    public var liveness: LivenessAssessment?

    /// True for a match.
    public var isMatch: Bool { decision == .match }
}

extension FaceVerifier {
    /// What one frame gave: a usable face, or the report of why not.
    enum FrameAcquisition {
        case acquired(AcquiredFace)
        /// The report, and the landmarks when a face was found (liveness uses frames the quality gate refused).
        case notAcquired(FrameReport, landmarks: [SIMD2<Double>]?)
    }

    /// A usable face taken from a frame: its descriptor, quality and box.
    struct AcquiredFace {
        var descriptor: FaceEmbedding
        var quality: FaceQuality
        var box: FaceRect
        var landmarks: [SIMD2<Double>]
    }

    /// Decodes nothing: detects, checks quality and embeds one decoded frame (in the configured probe colour).
    /// - Parameter timings: receives the detect, landmarks, align and embed times.
    /// - Returns: the acquired face, or the reason none was (with the quality when a face was found).
    func acquire(
        _ probeImage: Image, template: PortraitTemplate, mode: DescriptorMode,
        timings: inout StageTimings
    ) throws(VerificationError) -> FrameAcquisition {
        try checkModel(of: template)
        let grey: Bool
        switch configuration.probeColour {
        case .asCaptured: grey = false
        case .greyscale: grey = true
        case .matchPortrait: grey = template.portraitChannels == 1
        }
        let frame = grey && probeImage.channels == 3 ? probeImage.greyscale() : probeImage
        let analysis: FaceAnalysis
        do { analysis = try analyzer.analyze(frame, options: configuration.probeDetection) } catch {
            throw .pipeline(error)
        }
        timings.detect = analysis.detectMilliseconds
        timings.landmarks = analysis.landmarksMilliseconds
        timings.align = analysis.alignMilliseconds
        guard let face = analysis.faces.first else {
            return .notAcquired(
                FrameReport(index: 0, notAcquired: .noFace, quality: nil, faceBox: nil, fused: false),
                landmarks: nil)
        }
        // Liveness reads the 68-point shape when the analyzer computes it (FaceAnalyzer(fullShape: true)).
        let points = (face.shape?.points ?? face.landmarks.points).map { SIMD2(Double($0.x), Double($0.y)) }
        let quality = configuration.qualityGate.measure(
            box: (face.box.left, face.box.top, face.box.right, face.box.bottom),
            landmarks: face.landmarks.points.map { (Double($0.x), Double($0.y)) }, chip: face.chip,
            frameWidth: frame.width, frameHeight: frame.height,
            secondFaceWidth: analysis.faces.dropFirst().first?.box.width)
        if let reason = configuration.qualityGate.failure(of: quality) {
            return .notAcquired(
                FrameReport(index: 0, notAcquired: reason, quality: quality, faceBox: face.box, fused: false),
                landmarks: points)
        }
        let embedStart = DispatchTime.now()
        let descriptor: FaceEmbedding
        do { descriptor = try analyzer.descriptor(of: face, mode: mode) } catch { throw .pipeline(error) }
        timings.embed = Self.milliseconds(since: embedStart)
        return .acquired(AcquiredFace(descriptor: descriptor, quality: quality, box: face.box, landmarks: points))
    }

    /// The most frames one comparison fuses: ``Configuration/framesPerAttempt`` when the fused operating point is made
    /// for the same descriptors as the single-frame one, else 1 (fusing at a threshold calibrated for single frames
    /// would raise the false-match rate).
    var framesPerComparison: Int {
        let single = configuration.threshold
        return (configuration.fusedThreshold ?? single).descriptor == single.descriptor
            ? max(1, configuration.framesPerAttempt) : 1
    }

    /// Compares faces (at most ``framesPerComparison``) with the portrait once: their mean descriptor, at the fused
    /// operating point when there are several, else at the single-frame one.
    func compareFused(_ faces: [AcquiredFace], with template: PortraitTemplate)
        -> (threshold: MatchThreshold, similarity: Double, distance: Double, decision: MatchDecision)
    {
        let single = configuration.threshold
        let threshold = faces.count > 1 ? configuration.fusedThreshold ?? single : single
        let descriptor = FaceEmbedding.mean(faces.map(\.descriptor))!
        let (similarity, distance, decision) = Self.compare(
            template.descriptor(single.descriptor), descriptor, threshold)
        return (threshold, similarity, distance, decision)
    }

    /// Ranks acquired frames for fusion: the most frontal first (smallest |yaw|, then |roll|), the sharper on a tie.
    static func fusionOrder(_ a: FaceQuality, _ b: FaceQuality) -> Bool {
        let ya = (abs(a.yaw) * 20).rounded()
        let yb = (abs(b.yaw) * 20).rounded()  // 0.05 eye-distance steps
        if ya != yb { return ya < yb }
        let ra = (abs(a.rollDegrees) / 5).rounded()
        let rb = (abs(b.rollDegrees) / 5).rounded()
        if ra != rb { return ra < rb }
        return a.sharpness > b.sharpness
    }

    /// One face attempt over several camera frames of the same patient (JPEG or PNG bytes, in time order).
    ///
    /// Every frame is decoded, detected and checked by the quality gate; of the frames with a usable face the best
    /// ``Configuration/framesPerAttempt`` (most frontal, then sharpest) are fused — their descriptors averaged —
    /// and the fused descriptor is compared with the portrait **once**, at ``Configuration/fusedThreshold`` when
    /// more than one frame was fused (else ``Configuration/threshold``). One attempt is one decision: deciding on
    /// every frame and taking the first match would multiply the false-match chance by the number of frames.
    ///
    /// Under a liveness policy other than ``LivenessPolicy/off`` (`liveness`, else ``Configuration/liveness``) the
    /// landmarks of every frame with a face — also those the quality gate refused, such as the turned head of a
    /// challenge — are checked by ``Configuration/livenessChecker``; a suspected presentation attack makes the
    /// decision ``MatchDecision/presentationAttackSuspected`` whatever the comparison said.
    /// - Returns: the attempt's decision, scores, liveness and per-frame reports.
    /// - Throws: ``VerificationError/probeUnreadable(_:)`` for a frame that does not decode (naming none of its
    ///   content), ``VerificationError/pipeline(_:)``, ``VerificationError/modelMismatch(template:verifier:)`` for a
    ///   template of another embedding model.
    public func verifyAttempt(
        _ template: PortraitTemplate, probes: [[UInt8]],
        liveness: LivenessPolicy? = nil
    ) throws(VerificationError) -> AttemptResult {
        try checkModel(of: template)
        var images: [Image] = []
        images.reserveCapacity(probes.count)
        for bytes in probes {
            do { images.append(try ImageDecoder.decode(bytes, options: configuration.decode)) } catch {
                throw .probeUnreadable(error)
            }
        }
        return try verifyAttempt(template, probeImages: images, liveness: liveness)
    }

    /// ``verifyAttempt(_:probes:liveness:)`` over decoded frames.
    public func verifyAttempt(
        _ template: PortraitTemplate, probeImages: [Image],
        liveness: LivenessPolicy? = nil
    ) throws(VerificationError) -> AttemptResult {
        let start = DispatchTime.now()
        let single = configuration.threshold
        // Frames are embedded in the single-frame point's descriptor mode; a fused point of another mode is not used
        // (``framesPerComparison``).
        let mode = single.descriptor
        var reports: [FrameReport] = []
        var acquired: [(index: Int, face: AcquiredFace)] = []
        var track: [[SIMD2<Double>]] = []
        for (i, image) in probeImages.enumerated() {
            var timings = StageTimings()
            switch try acquire(image, template: template, mode: mode, timings: &timings) {
            case .acquired(let face):
                acquired.append((i, face))
                track.append(face.landmarks)
                reports.append(
                    FrameReport(index: i, notAcquired: nil, quality: face.quality, faceBox: face.box, fused: false))
            case .notAcquired(var report, let landmarks):
                report.index = i
                if let landmarks { track.append(landmarks) }
                reports.append(report)
            }
        }
        let policy = liveness ?? configuration.liveness
        let assessment = track.isEmpty ? nil : configuration.livenessChecker.assess(track, policy: policy)
        guard !acquired.isEmpty else {
            let reason = reports.compactMap(\.notAcquired).first ?? .noFace
            let decision: MatchDecision =
                assessment?.isAttackSuspected == true ? .presentationAttackSuspected : .notAcquired(reason)
            return AttemptResult(
                decision: decision, similarity: nil, distance: nil, threshold: single,
                framesFused: 0, frames: reports, totalMilliseconds: Self.milliseconds(since: start),
                liveness: assessment)
        }
        let chosen = acquired.sorted { Self.fusionOrder($0.face.quality, $1.face.quality) }.prefix(framesPerComparison)
        for c in chosen { reports[c.index].fused = true }
        var (threshold, similarity, distance, decision) = compareFused(chosen.map(\.face), with: template)
        if assessment?.isAttackSuspected == true { decision = .presentationAttackSuspected }
        return AttemptResult(
            decision: decision, similarity: similarity, distance: distance, threshold: threshold,
            framesFused: chosen.count, frames: reports, totalMilliseconds: Self.milliseconds(since: start),
            liveness: assessment)
    }
}
