import FaceImaging
import Foundation

/// Why a camera frame (or a portrait) could not be used for a comparison: a failure to acquire.
///
/// Each case carries the measured value, and ``patientMessage`` gives a short instruction a kiosk can
/// show the patient (Japanese and English).
public enum NotAcquiredReason: Sendable, Equatable, CustomStringConvertible {
    /// No face was found in the image.
    case noFace
    /// The face is narrower than the minimum (pixels).
    case faceTooSmall(width: Int, minimum: Int)
    /// The face box touches or crosses the frame border.
    case faceTooNearEdge
    /// The face is too dark (mean luma 0–255 of the aligned face).
    case tooDark(meanLuma: Double)
    /// The face is over-exposed (mean luma 0–255 of the aligned face).
    case tooBright(meanLuma: Double)
    /// The face is blurred (variance of the Laplacian of the aligned face).
    case blurred(sharpness: Double)
    /// The head is turned sideways (|yaw| as a fraction of the eye distance).
    case headTurned(yaw: Double)
    /// The head is tilted (roll, degrees).
    case headTilted(degrees: Double)
    /// The head is raised or lowered (nose-to-eye distance as a fraction of the eye distance).
    case headPitched(ratio: Double)
    /// A second face, at least `ratio` the width of the first, is in the frame.
    case secondFace(ratio: Double)

    public var description: String {
        switch self {
        case .noFace: return "no face found"
        case .faceTooSmall(let w, let m): return "face too small (\(w) px wide, minimum \(m) px)"
        case .faceTooNearEdge: return "face too near the edge of the frame"
        case .tooDark(let l): return "face too dark (mean luma \(Int(l.rounded())))"
        case .tooBright(let l): return "face too bright (mean luma \(Int(l.rounded())))"
        case .blurred(let s): return "face blurred (sharpness \(Int(s.rounded())))"
        case .headTurned(let y): return "head turned sideways (yaw ratio \(String(format: "%.2f", y)))"
        case .headTilted(let d): return "head tilted (\(Int(d.rounded()))°)"
        case .headPitched(let r): return "head raised or lowered (ratio \(String(format: "%.2f", r)))"
        case .secondFace(let r): return "another face in the frame (\(Int((r * 100).rounded()))% of the patient's face)"
        }
    }

    /// A short instruction for the patient, in Japanese then English.
    public var patientMessage: String {
        switch self {
        case .noFace: return "カメラに顔を向けてください / Please face the camera"
        case .faceTooSmall: return "もう少しカメラに近づいてください / Please come closer to the camera"
        case .faceTooNearEdge: return "画面の中央に顔を合わせてください / Please centre your face in the frame"
        case .tooDark: return "明るい場所でお願いします / Please move to a brighter spot"
        case .tooBright: return "まぶしすぎます。光を避けてください / Too bright: please avoid direct light"
        case .blurred: return "動かずにお待ちください / Please hold still"
        case .headTurned, .headTilted, .headPitched: return "正面を向いてください / Please look straight at the camera"
        case .secondFace: return "お一人で撮影してください / Only one person in front of the camera, please"
        }
    }
}

/// The measurements the quality gate takes of one face.
public struct FaceQuality: Sendable, Equatable, Codable {
    /// Width of the detected face box, pixels.
    public var faceWidth: Int
    /// Mean luma (0–255) of the aligned face chip's central region.
    public var meanLuma: Double
    /// Variance of the 4-neighbour Laplacian of the grey chip's central region (higher = sharper).
    public var sharpness: Double
    /// Yaw proxy: horizontal offset of the nose from the eye midpoint, in eye distances (0 = frontal).
    public var yaw: Double
    /// Roll: angle of the line between the eyes, degrees.
    public var rollDegrees: Double
    /// Pitch proxy: nose-to-eye-line distance in eye distances (≈0.75 frontal).
    public var pitchRatio: Double
    /// True when the face box lies inside the frame with the required margin.
    public var insideFrame: Bool
    /// Width of the second-largest face relative to this one, if any.
    public var secondFaceRatio: Double?
}

/// The checks a frame must pass before it is compared: the limits are configurable, the defaults suit a
/// reception reader (patient 40–80 cm from the camera, face at least ~15% of a 1280×720 frame).
public struct QualityGate: Sendable, Equatable {
    /// Minimum face-box width, pixels.
    public var minimumFaceWidth: Int = 80
    /// Minimum distance of the face box from the frame border, as a fraction of the face width.
    public var edgeMargin: Double = 0.0
    /// Acceptable mean luma range of the aligned face.
    public var lumaRange: ClosedRange<Double> = 40...220
    /// Minimum Laplacian variance of the aligned face.
    public var minimumSharpness: Double = 20
    /// Maximum |yaw| (eye distances).
    public var maximumYaw: Double = 0.30
    /// Maximum |roll|, degrees.
    public var maximumRollDegrees: Double = 25
    /// Acceptable pitch ratio range.
    public var pitchRange: ClosedRange<Double> = 0.40...1.20
    /// A second face at least this fraction of the first's width refuses the frame.
    public var secondFaceFraction: Double = 0.5

    public init() {}

    /// A gate that accepts every detected face (for portraits and offline evaluation).
    public static let permissive: QualityGate = {
        var g = QualityGate()
        g.minimumFaceWidth = 0
        g.edgeMargin = -.infinity
        g.lumaRange = 0...255
        g.minimumSharpness = 0
        g.maximumYaw = .infinity
        g.maximumRollDegrees = .infinity
        g.pitchRange = -.infinity...(.infinity)
        g.secondFaceFraction = .infinity
        return g
    }()

    /// Measures one face.
    /// - Parameters:
    ///   - box: the face box (left, top, right, bottom; inclusive pixel coordinates).
    ///   - landmarks: dlib's 5 points (0–1 the eye on the image-right side, 2–3 the image-left eye, 4 the nose base).
    ///   - chip: the aligned 150×150 chip (grey or RGB).
    ///   - frameWidth, frameHeight: the frame's size in pixels.
    ///   - secondFaceWidth: width of the next-largest face in the frame, if any.
    public func measure(
        box: (left: Int, top: Int, right: Int, bottom: Int), landmarks: [(x: Double, y: Double)],
        chip: Image, frameWidth: Int, frameHeight: Int, secondFaceWidth: Int?
    ) -> FaceQuality {
        let width = box.right - box.left + 1
        let margin = edgeMargin.isFinite ? Int((max(edgeMargin, -1) * Double(width)).rounded(.up)) : 0
        let inside =
            box.left >= margin && box.top >= margin
            && box.right <= frameWidth - 1 - margin && box.bottom <= frameHeight - 1 - margin
        let (luma, sharp) = Self.lumaAndSharpness(chip)
        var yaw = 0.0
        var roll = 0.0
        var pitch = 0.75
        if landmarks.count == 5 {
            let right = ((landmarks[0].x + landmarks[1].x) / 2, (landmarks[0].y + landmarks[1].y) / 2)
            let left = ((landmarks[2].x + landmarks[3].x) / 2, (landmarks[2].y + landmarks[3].y) / 2)
            let dx = right.0 - left.0
            let dy = right.1 - left.1
            let eyeDistance = max((dx * dx + dy * dy).squareRoot(), 1e-9)
            let mid = ((right.0 + left.0) / 2, (right.1 + left.1) / 2)
            let nose = landmarks[4]
            // Nose offset expressed in the eye-line frame: along (yaw) and across (pitch).
            let ux = dx / eyeDistance
            let uy = dy / eyeDistance
            let vx = nose.x - mid.0
            let vy = nose.y - mid.1
            yaw = (vx * ux + vy * uy) / eyeDistance
            pitch = (-vx * uy + vy * ux) / eyeDistance
            roll = atan2(dy, dx) * 180 / .pi
        }
        let ratio = secondFaceWidth.map { Double($0) / Double(max(width, 1)) }
        return FaceQuality(
            faceWidth: width, meanLuma: luma, sharpness: sharp, yaw: yaw, rollDegrees: roll,
            pitchRatio: pitch, insideFrame: inside, secondFaceRatio: ratio)
    }

    /// The first failed check, in the order a patient can act on, or nil when the face is usable.
    public func failure(of q: FaceQuality) -> NotAcquiredReason? {
        if let r = q.secondFaceRatio, r >= secondFaceFraction { return .secondFace(ratio: r) }
        if q.faceWidth < minimumFaceWidth { return .faceTooSmall(width: q.faceWidth, minimum: minimumFaceWidth) }
        if !q.insideFrame && edgeMargin.isFinite { return .faceTooNearEdge }
        if abs(q.yaw) > maximumYaw { return .headTurned(yaw: q.yaw) }
        if abs(q.rollDegrees) > maximumRollDegrees { return .headTilted(degrees: q.rollDegrees) }
        if !pitchRange.contains(q.pitchRatio) { return .headPitched(ratio: q.pitchRatio) }
        if q.meanLuma < lumaRange.lowerBound { return .tooDark(meanLuma: q.meanLuma) }
        if q.meanLuma > lumaRange.upperBound { return .tooBright(meanLuma: q.meanLuma) }
        if q.sharpness < minimumSharpness { return .blurred(sharpness: q.sharpness) }
        return nil
    }

    /// Mean luma and Laplacian variance over the central half of the chip (the face proper).
    static func lumaAndSharpness(_ chip: Image) -> (Double, Double) {
        let w = chip.width
        let h = chip.height
        let c = chip.channels
        guard w >= 8, h >= 8 else { return (0, 0) }
        let x0 = w / 4
        let x1 = w - w / 4
        let y0 = h / 4
        let y1 = h - h / 4
        return chip.pixels.withUnsafeBufferPointer { p -> (Double, Double) in
            @inline(__always) func luma(_ x: Int, _ y: Int) -> Double {
                let i = (y * w + x) * c
                if c == 1 { return Double(p[i]) }
                return 0.299 * Double(p[i]) + 0.587 * Double(p[i + 1]) + 0.114 * Double(p[i + 2])
            }
            var sum = 0.0
            var lapSum = 0.0
            var lapSq = 0.0
            var n = 0.0
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let v = luma(x, y)
                    sum += v
                    let lap = luma(x - 1, y) + luma(x + 1, y) + luma(x, y - 1) + luma(x, y + 1) - 4 * v
                    lapSum += lap
                    lapSq += lap * lap
                    n += 1
                }
            }
            let mean = lapSum / n
            return (sum / n, max(0, lapSq / n - mean * mean))
        }
    }
}
