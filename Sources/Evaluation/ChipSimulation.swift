import FaceImaging

/// The chip simulation of `--chip-sim`: a photo becomes the portrait a My Number Card chip would hold.
///
/// Steps, each through the project's own code:
/// 1. decode the photo (`ImageDecoder.decode`, EXIF orientation applied) and convert it to greyscale
///    (BT.601 luma, `Image.greyscale()`);
/// 2. **crop to the portrait's aspect ratio, then scale**: the largest centred rectangle of the target
///    aspect (3:4 for the default 240×320) is cut out — nothing is padded, the face stays the same
///    shape — halved by 2×2 box averaging while it is at least twice the target size (so strong
///    reductions do not alias), then resized bilinearly to exactly `width × height`;
/// 3. encode as JPEG 2000 (JP2) within the byte budget (`JPEG2000Encoder.encode(targetBytes:)`);
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
        let portrait = try portraitImage(from: photoBytes)
        let jp2: [UInt8]
        do { jp2 = try JPEG2000Encoder.encode(portrait, format: .jp2, targetBytes: settings.byteBudget) } catch {
            throw EvaluationError.chipSimulation(path: "", detail: "JPEG 2000 encoding: \(error)")
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
        return try Self.fit(photo.greyscale(), width: settings.width, height: settings.height)
    }

    /// Crop to the aspect of `width × height` (centred), box-halve while ≥ 2× the target, resize bilinearly.
    static func fit(_ image: Image, width: Int, height: Int) throws(EvaluationError) -> Image {
        guard image.width > 0, image.height > 0 else { throw .chipSimulation(path: "", detail: "empty image") }
        // Largest centred rectangle of aspect width:height.
        var cw = image.width, ch = image.height
        if cw * height > ch * width { cw = max(1, (ch * width + height / 2) / height) } else {
            ch = max(1, (cw * height + width / 2) / width)
        }
        var out: Image
        do {
            out = try image.cropped(x: (image.width - cw) / 2, y: (image.height - ch) / 2, width: cw, height: ch)
            while out.width >= 2 * width, out.height >= 2 * height { out = halved(out) }
            out = try out.resized(width: width, height: height)
        } catch {
            throw .chipSimulation(path: "", detail: "scaling to \(width)x\(height): \(error)")
        }
        return out
    }

    /// 2×2 box average of a greyscale image (odd last row/column dropped).
    static func halved(_ image: Image) -> Image {
        let w = image.width / 2, h = image.height / 2, sw = image.width
        var pixels = [UInt8](repeating: 0, count: w * h)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                for x in 0..<w {
                    let i = 2 * y * sw + 2 * x
                    let sum = Int(src[i]) + Int(src[i + 1]) + Int(src[i + sw]) + Int(src[i + sw + 1])
                    pixels[y * w + x] = UInt8((sum + 2) / 4)
                }
            }
        }
        return Image(width: w, height: h, channels: 1, pixels: pixels)
    }

    /// A card-face file holding `portrait` as DF27; the other elements are fixed placeholders.
    static func cardFaceFile(portrait: [UInt8]) throws(EvaluationError) -> [UInt8] {
        guard let birth = CardDate(year: 1980, month: 1, day: 1), let expiry = CardDate(year: 2035, month: 1, day: 1) else {
            throw .chipSimulation(path: "", detail: "placeholder dates")
        }
        let smallPNG: [UInt8]
        do { smallPNG = try PNGEncoder.encode(Image(width: 8, height: 8, channels: 1)) } catch {
            throw .chipSimulation(path: "", detail: "placeholder PNG: \(error)")
        }
        var modulus = [UInt8](repeating: 0xA5, count: 256)
        modulus[0] = 0xC3
        let builder = CardFaceFile.Builder(
            birthDate: birth, sex: .notKnown, publicKey: CardRSAPublicKey(exponent: [0x01, 0x00, 0x01], modulus: modulus),
            nameImage: smallPNG, addressImage: smallPNG, portrait: portrait,
            signature: [UInt8](repeating: 0, count: 256), expiry: expiry, securityCodeImage: smallPNG)
        let file = builder.encode()
        guard file.count < 65_536 else {
            throw .chipSimulation(path: "", detail: "card-face file of \(file.count) bytes exceeds the 64 KiB offset range")
        }
        return file
    }
}
