import ArgumentParser
import FaceImaging
import Foundation
import MynaFace
import NeuralCore

/// `mynaface embed PHOTO [--all] [--json] [--model DIR]`: the 128-D dlib descriptor of the face in a photo (detect →
/// align → embed, like face_recognition's `face_encodings`), or of an aligned 150×150 chip; with `--model`, the
/// external model's L2-normalised embedding (68-point landmarks → ArcFace alignment → the model).
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract:
            "Compute the 128-D face descriptor (dlib ResNet) of the face in a photo, or of an aligned 150×150 chip.",
        discussion: """
            A photo is detected (MMOD), its 5 landmarks found and the face aligned as dlib's 150×150 chip before \
            the ResNet: the largest face, or every face with --all (largest first). An image of exactly 150×150 \
            is taken as an already aligned chip unless --detect is given; raw 150×150×3 RGB bytes (exactly 67,500 \
            bytes, row-major, R,G,B interleaved) are a chip too. With --model DIR (docs/models.md) the external \
            model's embedding instead; an image of its input size is taken as already aligned. \
            Exit status 2 when the photo holds no face. \
            The descriptor is biometric data: handle the output accordingly.
            """)

    @Argument(help: "A photo (JPEG, PNG or JPEG 2000), a 150×150 chip, or 67,500 raw RGB bytes.")
    var image: String

    @Flag(help: "Every face of the photo, largest first (default: the largest only).")
    var all = false

    @Flag(help: "Detect the face even in a 150×150 image (do not take it as an aligned chip).")
    var detect = false

    @Flag(
        help: "Print JSON: {\"faces\": [{\"box\": [l,t,r,b], \"embedding\": [128 numbers]}]} (box absent for a chip).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Folder holding the model files (default: $MYNAFACE_MODELS, else the cache root's models folder).",
            valueName: "DIR"))
    var models: String?

    @OptionGroup var modelOptions: ModelOptions

    struct Face: Encodable {
        var box: [Int]?
        var embedding: [Float]
    }

    struct Report: Encodable {
        var model: String
        var faces: [Face]
    }

    func run() throws {
        let bytes = CLI.readFile(image, what: "image", command: "mynaface embed")
        let picture: Image
        if bytes.count == 150 * 150 * 3 && ImageFormat.detect(bytes) == nil {
            picture = Image(width: 150, height: 150, channels: 3, pixels: bytes)
        } else {
            do { picture = try ImageDecoder.decode(bytes) } catch {
                CLI.fail("mynaface embed: \(image): \(error)", status: .unreadableInput)
            }
        }
        let analyzer: FaceAnalyzer
        do {
            let store =
                models.map { ModelStore(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? ModelStore()
            if let external = modelOptions.loadExternal(command: "mynaface embed") {
                analyzer = try FaceAnalyzer(store: store, externalModel: external)
            } else {
                analyzer = try FaceAnalyzer(store: store)
            }
        } catch {
            CLI.fail("mynaface embed: \(error)", status: .modelsOrPipeline)
        }
        // An already aligned face: 150×150 for dlib's ResNet, the manifest's input size for an external model.
        let alignedSize = analyzer.external.map { ($0.manifest.input.width, $0.manifest.input.height) } ?? (150, 150)
        var faces: [Face] = []
        do {
            if picture.width == alignedSize.0, picture.height == alignedSize.1, !detect {
                faces = [Face(box: nil, embedding: try analyzer.embedding(ofChip: picture).values)]
            } else {
                let analysis = try analyzer.analyze(picture, options: .init(minimumFaceSize: .none))
                for face in all ? analysis.faces : Array(analysis.faces.prefix(1)) {
                    faces.append(
                        Face(
                            box: [face.box.left, face.box.top, face.box.right, face.box.bottom],
                            embedding: try analyzer.embedding(of: face).values))
                }
            }
        } catch {
            CLI.fail("mynaface embed: \(image): \(error)", status: .modelsOrPipeline)
        }
        guard !faces.isEmpty else { CLI.fail("mynaface embed: no face found in \(image)", status: .notAcquired) }
        if json {
            try CLI.printJSON(Report(model: analyzer.embeddingModel.description, faces: faces))
        } else {
            for (i, face) in faces.enumerated() {
                if faces.count > 1 { print("# face \(i + 1)" + (face.box.map { " box \($0)" } ?? "")) }
                print(face.embedding.map { "\($0)" }.joined(separator: "\n"))
            }
        }
    }
}
