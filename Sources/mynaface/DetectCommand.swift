import ArgumentParser
import FaceAlignment
import FaceDetection
import FaceImaging
import Foundation
import NeuralCore

/// `mynaface detect IMAGE [--json] [--draw OUT.png] [--min-face-size PIXELS]`: finds faces (dlib's MMOD CNN)
/// and their 5 landmarks, prints them, and optionally draws them.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find faces (dlib MMOD detector) and their 5 landmarks in a photo.",
        discussion: """
            Boxes are [left, top, right, bottom] in image pixels, inclusive, as dlib's rectangle. \
            By default faces smaller than 15% of the image width are not searched (a reader camera); \
            --min-face-size 0 searches every pyramid level, exactly as dlib's full run.
            """)

    @Argument(help: "The photo (JPEG, PNG or JPEG 2000).")
    var image: String

    @Flag(
        help:
            "Print JSON: {\"faces\": [{\"box\": [l,t,r,b], \"score\": s, \"landmarks\": [[x,y]×5]}], \"levels\": [first, last]}."
    )
    var json = false

    @Option(help: ArgumentHelp("Write the photo with boxes and landmarks drawn, as PNG.", valueName: "OUT.png"))
    var draw: String?

    @Option(
        help: ArgumentHelp(
            "Smallest face searched, in pixels (default: 15% of the image width; 0 = all sizes).",
            valueName: "PIXELS"))
    var minFaceSize: Int?

    @Option(
        help: ArgumentHelp(
            "Folder holding the model files (default: $MYNAFACE_MODELS or ~/.cache/mynaface/models).",
            valueName: "DIR"))
    var models: String?

    func validate() throws {
        if let minFaceSize, minFaceSize < 0 { throw ValidationError("--min-face-size must be ≥ 0 pixels") }
    }

    func run() throws {
        let store = models.map { ModelStore(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? ModelStore()
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: image))) } catch {
            throw ValidationError("cannot read \(image): \(error.localizedDescription)")
        }
        let picture = try ImageDecoder.decode(bytes)
        let detector = try FaceDetector(store: store)
        var options = DetectionOptions()
        if let minFaceSize { options.minimumFaceSize = minFaceSize == 0 ? .none : .pixels(minFaceSize) }
        let result = try detector.detect(in: picture, options: options)

        let predictor = try ShapePredictor(store: store)
        let landmarks = result.faces.map { face in
            predictor.landmarks(in: picture, face: face.box)
        }

        if json {
            print(Self.json(result, landmarks: landmarks))
        } else {
            let levels = result.levelsUsed.map { "\($0.lowerBound)…\($0.upperBound)" } ?? "none"
            print(
                "\(image): \(picture.width)×\(picture.height), \(result.faces.count) face(s), pyramid levels \(levels) of \(result.levelCount), "
                    + String(format: "%.1f ms", result.timing.totalMilliseconds))
            for (i, face) in result.faces.enumerated() {
                let pts = landmarks[i].points.map { "(\($0.x), \($0.y))" }.joined(separator: " ")
                print(
                    "  face \(i + 1): box \(face.box) score \(String(format: "%.4f", face.score)) level \(face.level) landmarks \(pts)"
                )
            }
        }
        if let draw {
            var canvas = Overlay(picture)
            for (i, face) in result.faces.enumerated() {
                canvas.rectangle(face.box, thickness: max(2, picture.width / 400), color: (0, 255, 0))
                for p in landmarks[i].points {
                    canvas.dot(x: p.x, y: p.y, radius: max(2, picture.width / 300), color: (255, 0, 0))
                }
            }
            let png = try PNGEncoder.encode(canvas.image)
            do { try Data(png).write(to: URL(fileURLWithPath: draw)) } catch {
                throw ValidationError("cannot write \(draw): \(error.localizedDescription)")
            }
        }
    }

    static func json(_ result: DetectionResult, landmarks: [FaceLandmarks]) -> String {
        let faces = result.faces.enumerated().map { i, f in
            let b = f.box
            let pts = landmarks[i].points.map { "[\($0.x), \($0.y)]" }.joined(separator: ", ")
            return
                "{\"box\": [\(b.left), \(b.top), \(b.right), \(b.bottom)], \"score\": \(f.score), \"level\": \(f.level), \"landmarks\": [\(pts)]}"
        }
        let levels = result.levelsUsed.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"
        return
            "{\"faces\": [\(faces.joined(separator: ", "))], \"levels\": \(levels), \"levelCount\": \(result.levelCount), "
            + "\"minFaceSize\": \(result.minimumFaceSize), \"width\": \(result.imageWidth), \"height\": \(result.imageHeight), "
            + "\"milliseconds\": \(String(format: "%.2f", result.timing.totalMilliseconds))}"
    }
}

/// An RGB copy of a picture to draw boxes and points on (clipped to the image).
struct Overlay {
    private(set) var image: Image

    init(_ source: Image) {
        if source.channels == 3 {
            image = source
        } else {
            var rgb = [UInt8](repeating: 0, count: source.width * source.height * 3)
            for i in 0..<(source.width * source.height) {
                let v = source.pixels[i]
                rgb[3 * i] = v
                rgb[3 * i + 1] = v
                rgb[3 * i + 2] = v
            }
            image = Image(width: source.width, height: source.height, channels: 3, pixels: rgb)
        }
    }

    mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, color: (UInt8, UInt8, UInt8)) {
        let a = max(0, x0)
        let b = min(image.width - 1, x1)
        let c = max(0, y0)
        let d = min(image.height - 1, y1)
        guard a <= b, c <= d else { return }
        for y in c...d {
            for x in a...b {
                let o = (y * image.width + x) * 3
                image.pixels[o] = color.0
                image.pixels[o + 1] = color.1
                image.pixels[o + 2] = color.2
            }
        }
    }

    mutating func rectangle(_ r: PixelRect, thickness: Int, color: (UInt8, UInt8, UInt8)) {
        let t = thickness - 1
        fill(x0: r.left, y0: r.top, x1: r.right, y1: r.top + t, color: color)
        fill(x0: r.left, y0: r.bottom - t, x1: r.right, y1: r.bottom, color: color)
        fill(x0: r.left, y0: r.top, x1: r.left + t, y1: r.bottom, color: color)
        fill(x0: r.right - t, y0: r.top, x1: r.right, y1: r.bottom, color: color)
    }

    mutating func dot(x: Int, y: Int, radius: Int, color: (UInt8, UInt8, UInt8)) {
        fill(x0: x - radius, y0: y - radius, x1: x + radius, y1: y + radius, color: color)
    }
}
