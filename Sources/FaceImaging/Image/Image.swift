/// An 8-bit image: `height` rows of `width` pixels, each pixel `channels` interleaved bytes, row-major.
///
/// `channels` is 1 (greyscale) or 3 (RGB, in R, G, B order). Every decoder in this module produces an
/// `Image`; every later stage (detect, align, embed) consumes one.
public struct Image: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved samples per pixel: 1 (grey) or 3 (RGB).
    public let channels: Int
    /// `width · height · channels` samples, row-major, interleaved.
    public var pixels: [UInt8]

    /// Creates an image from its samples.
    /// - Precondition: `channels` is 1 or 3 and `pixels.count == width · height · channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "Image channels must be 1 or 3")
        precondition(
            width >= 0 && height >= 0 && pixels.count == width * height * channels,
            "Image pixel count does not match its size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A black image of the given size.
    public init(width: Int, height: Int, channels: Int) {
        self.init(
            width: width, height: height, channels: channels,
            pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// True for a one-channel image.
    public var isGreyscale: Bool { channels == 1 }
}
