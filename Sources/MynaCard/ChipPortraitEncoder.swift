import FaceImaging

/// Renders a photo the way a My Number Card chip stores its portrait (DF27): greyscale, cut to the portrait's
/// aspect ratio, scaled to its size and compressed as JPEG 2000 (JP2) within a byte budget.
///
/// Steps:
/// 1. convert to greyscale (BT.601 luma, `Image.greyscale()`);
/// 2. **crop to the portrait's aspect ratio, then scale**: the largest centred rectangle of the target aspect
///    (3:4 for the default 240×320) is cut out — nothing is padded, the face keeps its shape — halved by 2×2 box
///    averaging while it is at least twice the target size (so strong reductions do not alias), then resized
///    bilinearly to exactly `width × height`;
/// 3. encode as JP2 within the byte budget (`JPEG2000Encoder.encode(targetBytes:)`).
///
/// Used by the evaluation's chip simulation and by the test doubles that issue a simulated card for a photo.
public struct ChipPortraitEncoder: Sendable, Equatable {
    /// Portrait width in pixels (default 240).
    public var width: Int
    /// Portrait height in pixels (default 320).
    public var height: Int
    /// Largest JP2 size in bytes (default 10,000, a typical chip portrait).
    public var byteBudget: Int

    /// An encoder for a `width × height` portrait of at most `byteBudget` bytes.
    public init(width: Int = 240, height: Int = 320, byteBudget: Int = 10_000) {
        self.width = width
        self.height = height
        self.byteBudget = byteBudget
    }

    /// Why a photo could not be rendered as a chip portrait.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The photo has no pixels.
        case emptyImage
        /// Cropping or scaling to the portrait size failed.
        case scaling(width: Int, height: Int, cause: ImageTransformError)
        /// The JPEG 2000 encoder failed (e.g. the budget is unreachable).
        case encoding(ImageEncodeError)

        public var description: String {
            switch self {
            case .emptyImage: "empty image"
            case .scaling(let width, let height, let cause): "scaling to \(width)x\(height): \(cause)"
            case .encoding(let cause): "JPEG 2000 encoding: \(cause)"
            }
        }
    }

    /// Steps 1–2: the greyscale portrait at the configured size.
    /// - Throws: ``Failure/emptyImage`` or ``Failure/scaling(width:height:cause:)``.
    public func portraitImage(from photo: Image) throws(Failure) -> Image {
        try Self.fit(photo.greyscale(), width: width, height: height)
    }

    /// Steps 1–3: the JP2 bytes of the portrait.
    /// - Throws: ``Failure``.
    public func encode(_ photo: Image) throws(Failure) -> [UInt8] {
        let portrait = try portraitImage(from: photo)
        do { return try JPEG2000Encoder.encode(portrait, format: .jp2, targetBytes: byteBudget) } catch {
            throw .encoding(error)
        }
    }

    /// Crop to the aspect of `width × height` (centred), box-halve while ≥ 2× the target, resize bilinearly.
    static func fit(_ image: Image, width: Int, height: Int) throws(Failure) -> Image {
        guard image.width > 0, image.height > 0 else { throw .emptyImage }
        // Largest centred rectangle of aspect width:height.
        var cw = image.width
        var ch = image.height
        if cw * height > ch * width {
            cw = max(1, (ch * width + height / 2) / height)
        } else {
            ch = max(1, (cw * height + width / 2) / width)
        }
        var out: Image
        do {
            out = try image.cropped(x: (image.width - cw) / 2, y: (image.height - ch) / 2, width: cw, height: ch)
            while out.width >= 2 * width, out.height >= 2 * height { out = halved(out) }
            out = try out.resized(width: width, height: height)
        } catch {
            throw .scaling(width: width, height: height, cause: error)
        }
        return out
    }

    /// 2×2 box average of a greyscale image (odd last row/column dropped).
    static func halved(_ image: Image) -> Image {
        let w = image.width / 2
        let h = image.height / 2
        let sw = image.width
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
}
