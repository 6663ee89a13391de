/// The EXIF orientation (TIFF tag 0x0112): how the stored pixels must be transformed to appear upright.
///
/// Raw values 1…8 as in EXIF 2.3 §4.6.4. "Mirror" means a left-right flip.
public enum ExifOrientation: Int, Sendable, Equatable, CaseIterable {
    /// 1: stored upright.
    case up = 1
    /// 2: mirrored left-right.
    case upMirrored = 2
    /// 3: rotated 180°.
    case down = 3
    /// 4: mirrored top-bottom.
    case downMirrored = 4
    /// 5: transposed (mirrored about the main diagonal).
    case leftMirrored = 5
    /// 6: must be rotated 90° clockwise to display.
    case right = 6
    /// 7: transversed (mirrored about the anti-diagonal).
    case rightMirrored = 7
    /// 8: must be rotated 90° counter-clockwise to display.
    case left = 8

    /// True when upright width and height are the stored height and width (5…8).
    public var swapsAxes: Bool { rawValue >= 5 }
}

extension Image {
    /// The image transformed so that a picture stored with EXIF `orientation` is upright.
    ///
    /// Orientations 5…8 swap width and height. Pure pixel moves: no resampling, no allocation per pixel.
    public func applying(_ orientation: ExifOrientation) -> Image {
        if orientation == .up || width == 0 || height == 0 { return self }
        let w = width
        let h = height
        let c = channels
        let outW = orientation.swapsAxes ? h : w
        let outH = orientation.swapsAxes ? w : h
        // Source pixel of upright (x, y) is origin + x·stepX + y·stepY (in pixels of the stored image).
        let origin: Int
        let stepX: Int
        let stepY: Int
        switch orientation {
        case .up: (origin, stepX, stepY) = (0, 1, w)
        case .upMirrored: (origin, stepX, stepY) = (w - 1, -1, w)  // (W-1-x, y)
        case .down: (origin, stepX, stepY) = ((h - 1) * w + w - 1, -1, -w)  // (W-1-x, H-1-y)
        case .downMirrored: (origin, stepX, stepY) = ((h - 1) * w, 1, -w)  // (x, H-1-y)
        case .leftMirrored: (origin, stepX, stepY) = (0, w, 1)  // (y, x)
        case .right: (origin, stepX, stepY) = ((h - 1) * w, -w, 1)  // (y, H-1-x)
        case .rightMirrored: (origin, stepX, stepY) = ((h - 1) * w + w - 1, -w, -1)  // (W-1-y, H-1-x)
        case .left: (origin, stepX, stepY) = (w - 1, w, -1)  // (W-1-y, x)
        }
        let out = [UInt8](unsafeUninitializedCapacity: outW * outH * c) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                var o = 0
                for y in 0..<outH {
                    var s = origin + y * stepY
                    if c == 1 {
                        for _ in 0..<outW {
                            dst[o] = src[s]
                            o += 1
                            s += stepX
                        }
                    } else {
                        for _ in 0..<outW {
                            let si = s * 3
                            dst[o] = src[si]
                            dst[o + 1] = src[si + 1]
                            dst[o + 2] = src[si + 2]
                            o += 3
                            s += stepX
                        }
                    }
                }
            }
            count = outW * outH * c
        }
        return Image(width: outW, height: outH, channels: c, pixels: out)
    }
}
