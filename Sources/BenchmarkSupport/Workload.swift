import CardAccess
import Evaluation
import FaceAlignment
import FaceImaging
import Foundation
import MynaCard
import MynaFace
import MynaFaceTesting

/// Why a benchmark workload could not be assembled.
public enum WorkloadError: Error, CustomStringConvertible {
    case missingSample(String)
    case preparation(String)

    public var description: String {
        switch self {
        case .missingSample(let p): return "benchmark sample photo missing: \(p) (run Scripts/fetch-models.sh)"
        case .preparation(let m): return "benchmark workload: \(m)"
        }
    }
}

/// The inputs every benchmark stage runs on, made once from the fetched sample photos
/// (face_recognition 1.3.0's `obama.jpg` and `obama2.jpg`):
/// camera-like frames (the photo centred on a grey 1280×720 or 640×480 canvas, re-encoded as JPEG at quality 90),
/// a simulated card (greyscale 240×320 JPEG 2000 of ≈10 KB in a signed `FF20` file with its certificate),
/// and aligned chips.
public struct BenchmarkWorkload: Sendable {
    /// 1280×720 camera frame, JPEG bytes and decoded.
    public let frame720JPEG: [UInt8], frame720: Image
    /// 640×480 camera frame, JPEG bytes and decoded.
    public let frame480JPEG: [UInt8], frame480: Image
    /// The simulated card-face file (signed by a generated issuer), its EF 0004 certificate, the issuer's
    /// trust anchor, and the JPEG 2000 portrait inside.
    public let cardFace: [UInt8], certificate: [UInt8], anchor: TrustAnchor, portraitJP2: [UInt8]
    /// The face in the 1280×720 frame (detector box) and its landmarks.
    public let face: FaceRect, landmarks: FaceLandmarks
    /// One aligned 150×150 chip, and 16 chips (from both photos, repeated).
    public let chip: Image, chips16: [Image]

    /// Builds the workload.
    /// - Parameters:
    ///   - analyzer: the loaded models (used to find the face and make chips).
    ///   - samples: the folder with `obama.jpg` and `obama2.jpg`.
    public static func make(analyzer: FaceAnalyzer, samples: URL) throws -> BenchmarkWorkload {
        func load(_ name: String) throws -> Image {
            let url = samples.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw WorkloadError.missingSample(url.path)
            }
            return try ImageDecoder.decode([UInt8](data))
        }
        let photo = try load("obama2.jpg")
        let portraitPhoto = try load("obama.jpg")
        let f720 = try frame(photo, width: 1280, height: 720)
        let f480 = try frame(photo, width: 640, height: 480)
        let jpeg720 = try JPEGEncoder.encode(f720, quality: 90)
        let jpeg480 = try JPEGEncoder.encode(f480, quality: 90)
        let portraitJPEG = try JPEGEncoder.encode(portraitPhoto, quality: 95)
        let portraitJP2 = try CardFaceChipSimulator().chipPortrait(from: portraitJPEG)
        let issuer = try SimulatedIssuer.generate()
        let holder = CardHolder(
            birthDate: CardDate(year: 1961, month: 8, day: 4)!, sex: .male,
            cardExpiry: CardDate(year: 2031, month: 8, day: 4)!)
        let card = try PhotoCard.issue(photo: portraitJP2, by: issuer, holder: holder)
        guard let cardFace = card.state.cardFaceFile.map({ [UInt8]($0) }),
            let certificate = card.state.certificate.map({ [UInt8]($0) })
        else {
            throw WorkloadError.preparation("the simulated card has no card-face file")
        }
        let frame720 = try ImageDecoder.decode(jpeg720)
        let analysis = try analyzer.analyze(frame720)
        guard let face = analysis.faces.first else { throw WorkloadError.preparation("no face in the 1280×720 frame") }
        let other = try analyzer.analyze(portraitPhoto, options: .init(minimumFaceSize: .fractionOfWidth(0.1)))
        let chips = [face.chip] + other.faces.prefix(1).map(\.chip)
        return BenchmarkWorkload(
            frame720JPEG: jpeg720, frame720: frame720, frame480JPEG: jpeg480,
            frame480: try ImageDecoder.decode(jpeg480),
            cardFace: cardFace, certificate: certificate, anchor: issuer.anchor, portraitJP2: portraitJP2,
            face: face.box, landmarks: face.landmarks,
            chip: face.chip, chips16: (0..<16).map { chips[$0 % chips.count] })
    }

    /// `photo` scaled to 90% of the canvas height (the face then spans about 20% of the frame width, as at a reader) and centred on a mid-grey canvas (a reader camera's view).
    static func frame(_ photo: Image, width: Int, height: Int) throws -> Image {
        let rgb = photo.channels == 3 ? photo : photo.rgb()
        let h = height * 9 / 10
        let w = max(1, min(width, rgb.width * h / max(rgb.height, 1)))
        let scaled = try rgb.resized(width: w, height: h)
        var canvas = [UInt8](repeating: 128, count: width * height * 3)
        let x0 = (width - w) / 2
        let y0 = (height - h) / 2
        scaled.pixels.withUnsafeBufferPointer { src in
            canvas.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let s = y * w * 3
                    let d = ((y0 + y) * width + x0) * 3
                    for i in 0..<(w * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: canvas)
    }
}
