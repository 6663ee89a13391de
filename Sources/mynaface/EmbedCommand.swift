import ArgumentParser
import FaceEmbedding
import FaceImaging
import Foundation
import NeuralCore

/// `mynaface embed CHIP [--json]`: the 128-D dlib descriptor of an aligned 150×150 face chip.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute the 128-D face descriptor (dlib ResNet) of an aligned 150×150 face chip.",
        discussion: """
            CHIP is a 150×150 image file (JPEG, PNG or JPEG 2000; grey chips are expanded to RGB) or raw \
            150×150×3 RGB bytes (exactly 67,500 bytes, row-major, R,G,B interleaved). \
            The descriptor is biometric data: handle the output accordingly.
            """)

    @Argument(help: "The chip: a 150×150 image file or 67,500 raw RGB bytes.")
    var chip: String

    @Flag(help: "Print JSON: {\"embedding\": [128 numbers]}.")
    var json = false

    @Option(help: ArgumentHelp("Folder holding the model files (default: $MYNAFACE_MODELS or ~/.cache/mynaface/models).",
                               valueName: "DIR"))
    var models: String?

    func run() throws {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: chip))) } catch {
            throw ValidationError("cannot read \(chip): \(error.localizedDescription)")
        }
        let image: Image
        if bytes.count == 150 * 150 * 3 && ImageFormat.detect(bytes) == nil {
            image = Image(width: 150, height: 150, channels: 3, pixels: bytes)
        } else {
            image = try ImageDecoder.decode(bytes)
        }
        guard image.width == 150, image.height == 150 else {
            throw ValidationError("\(chip) is \(image.width)×\(image.height): a chip must be 150×150 (align the face first)")
        }
        let store = models.map { ModelStore(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? ModelStore()
        let embedder = try FaceEmbedder(modelURL: try store.url(for: ModelStore.faceRecognitionResNet))
        let embedding = try embedder.embedding(ofChip: image)
        let numbers = embedding.values.map { "\($0)" }
        if json {
            print("{\"embedding\": [\(numbers.joined(separator: ", "))]}")
        } else {
            print(numbers.joined(separator: "\n"))
        }
    }
}
