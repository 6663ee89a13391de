import FaceImaging
import MynaCard

/// The chip simulation of `--chip-sim`: a photo becomes the portrait a My Number Card chip would hold.
///
/// Steps, each through the project's own code:
/// 1. decode the photo (`ImageDecoder.decode`, EXIF orientation applied);
/// 2–3. render it as the chip stores a portrait (`MynaCard.ChipPortraitEncoder`: greyscale, cropped to the
///    portrait's aspect, scaled, JPEG 2000 within the byte budget);
/// 4. wrap it as DF27 of a card-face file (`CardFaceFile.Builder`, with placeholder values for the other
///    elements) and parse the file back (`CardFaceFile.parse`), returning the DF27 portrait bytes — the
///    bytes a reader would hand to the face pipeline.
public struct CardFaceChipSimulator: ChipPortraitSimulator {
    /// The portrait size and byte budget.
    public var settings: ChipSettings

    public init(settings: ChipSettings = ChipSettings()) {
        self.settings = settings
    }

    public var settingsIdentity: String {
        "cardface-jp2-v1:\(settings.width)x\(settings.height):\(settings.byteBudget)"
    }

    /// - Throws: ``EvaluationError/chipSimulation(path:detail:)`` (path empty) naming the failed step.
    public func chipPortrait(from photoBytes: [UInt8]) throws -> [UInt8] {
        let photo: Image
        do { photo = try ImageDecoder.decode(photoBytes) } catch {
            throw EvaluationError.chipSimulation(path: "", detail: "decoding the photo: \(error)")
        }
        let jp2: [UInt8]
        do { jp2 = try encoder.encode(photo) } catch {
            throw EvaluationError.chipSimulation(path: "", detail: error.description)
        }
        let file = try Self.cardFaceFile(portrait: jp2)
        do { return try CardFaceFile.parse(file).portrait } catch {
            throw EvaluationError.chipSimulation(path: "", detail: "card-face file read-back: \(error)")
        }
    }

    /// Steps 1–2: the greyscale portrait at the configured size.
    public func portraitImage(from photoBytes: [UInt8]) throws(EvaluationError) -> Image {
        let photo: Image
        do { photo = try ImageDecoder.decode(photoBytes) } catch {
            throw .chipSimulation(path: "", detail: "decoding the photo: \(error)")
        }
        do { return try encoder.portraitImage(from: photo) } catch {
            throw .chipSimulation(path: "", detail: error.description)
        }
    }

    /// The card's portrait rendering at these settings.
    var encoder: ChipPortraitEncoder {
        ChipPortraitEncoder(width: settings.width, height: settings.height, byteBudget: settings.byteBudget)
    }

    /// A card-face file holding `portrait` as DF27; the other elements are fixed placeholders.
    static func cardFaceFile(portrait: [UInt8]) throws(EvaluationError) -> [UInt8] {
        guard let birth = CardDate(year: 1980, month: 1, day: 1), let expiry = CardDate(year: 2035, month: 1, day: 1)
        else {
            throw .chipSimulation(path: "", detail: "placeholder dates")
        }
        let smallPNG: [UInt8]
        do { smallPNG = try PNGEncoder.encode(Image(width: 8, height: 8, channels: 1)) } catch {
            throw .chipSimulation(path: "", detail: "placeholder PNG: \(error)")
        }
        var modulus = [UInt8](repeating: 0xA5, count: 256)
        modulus[0] = 0xC3
        let builder = CardFaceFile.Builder(
            birthDate: birth, sex: .notKnown,
            publicKey: CardRSAPublicKey(exponent: [0x01, 0x00, 0x01], modulus: modulus),
            nameImage: smallPNG, addressImage: smallPNG, portrait: portrait,
            signature: [UInt8](repeating: 0, count: 256), expiry: expiry, securityCodeImage: smallPNG)
        let file = builder.encode()
        guard file.count < 65_536 else {
            throw .chipSimulation(
                path: "", detail: "card-face file of \(file.count) bytes exceeds the 64 KiB offset range")
        }
        return file
    }
}
