/// Why an image transform was refused.
public enum ImageTransformError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The crop rectangle, clamped to the image, is empty.
    case emptyCrop(x: Int, y: Int, width: Int, height: Int, imageWidth: Int, imageHeight: Int)
    /// A requested output size is not positive (or absurd).
    case invalidSize(width: Int, height: Int)
    /// Per-channel normalisation parameters do not match the image's channel count.
    case channelMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .emptyCrop(let x, let y, let w, let h, let iw, let ih):
            return "crop: the rectangle x=\(x) y=\(y) \(w)×\(h) does not overlap the \(iw)×\(ih) image"
        case .invalidSize(let w, let h):
            return "resize: invalid output size \(w)×\(h) (both sides must be 1…\(Image.maxTransformSide))"
        case .channelMismatch(let expected, let got):
            return "tensor: \(got) per-channel normalisation values for a \(expected)-channel image"
        }
    }
}

/// Per-channel affine normalisation for `Image.planarTensor(_:)`: `out = (sample − mean[c]) · scale[c]`.
public struct TensorNormalization: Sendable, Equatable {
    /// Subtracted from each 0…255 sample, per channel (one value applies to every channel).
    public var mean: [Float]
    /// Multiplies the centred sample, per channel (one value applies to every channel).
    public var scale: [Float]

    /// Creates a normalisation; `mean` and `scale` hold 1 value or one per channel.
    public init(mean: [Float], scale: [Float]) {
        self.mean = mean
        self.scale = scale
    }

    /// 0…255 → 0…1.
    public static let unit = TensorNormalization(mean: [0], scale: [1 / 255])
    /// Raw 0…255 values as Float.
    public static let identity = TensorNormalization(mean: [0], scale: [1])
}

extension Image {
    /// Largest side accepted by `resized` (pixels).
    public static let maxTransformSide = 65_536

    /// The image mirrored left to right (column `x` becomes column `width − 1 − x`), same size and channels.
    public func mirrored() -> Image {
        guard width > 0, height > 0 else { return self }
        var out = [UInt8](repeating: 0, count: pixels.count)
        let c = channels
        let w = width
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * w * c
                    for x in 0..<w {
                        let from = row + x * c
                        let to = row + (w - 1 - x) * c
                        for k in 0..<c { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// The greyscale version: ITU-R BT.601 luma with libjpeg's integer weights,
    /// `Y = (19595 R + 38470 G + 7471 B + 32768) >> 16` (0.299, 0.587, 0.114 in 16-bit fixed point, rounded).
    /// A grey image is returned unchanged.
    public func greyscale() -> Image {
        guard channels == 3 else { return self }
        let n = width * height
        let out = [UInt8](unsafeUninitializedCapacity: n) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let r = UInt32(src[3 * i])
                    let g = UInt32(src[3 * i + 1])
                    let b = UInt32(src[3 * i + 2])
                    dst[i] = UInt8(truncatingIfNeeded: (19595 &* r &+ 38470 &* g &+ 7471 &* b &+ 32768) >> 16)
                }
            }
            count = n
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// The RGB version: a grey sample is copied to R, G and B. An RGB image is returned unchanged.
    public func rgb() -> Image {
        guard channels == 1 else { return self }
        let n = width * height
        let out = [UInt8](unsafeUninitializedCapacity: n * 3) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let v = src[i]
                    dst[3 * i] = v
                    dst[3 * i + 1] = v
                    dst[3 * i + 2] = v
                }
            }
            count = n * 3
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
    }

    /// The part of the image inside the rectangle (pixels), clamped to the image bounds.
    /// - Throws: `ImageTransformError.emptyCrop` when nothing of the rectangle lies inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws(ImageTransformError) -> Image {
        let x0 = max(0, x)
        let y0 = max(0, y)
        let (xe, o1) = x.addingReportingOverflow(max(0, w))
        let (ye, o2) = y.addingReportingOverflow(max(0, h))
        let x1 = o1 ? width : min(width, xe)
        let y1 = o2 ? height : min(height, ye)
        guard x1 > x0, y1 > y0 else {
            throw .emptyCrop(x: x, y: y, width: w, height: h, imageWidth: width, imageHeight: height)
        }
        let cw = x1 - x0
        let ch = y1 - y0
        let c = channels
        let out = [UInt8](unsafeUninitializedCapacity: cw * ch * c) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                for row in 0..<ch {
                    let s = ((y0 + row) * width + x0) * c
                    let d = row * cw * c
                    UnsafeMutableRawPointer(dst.baseAddress! + d)
                        .copyMemory(from: src.baseAddress! + s, byteCount: cw * c)
                }
            }
            count = cw * ch * c
        }
        return Image(width: cw, height: ch, channels: c, pixels: out)
    }

    /// Bilinear resize to `w × h` pixels. Pixel centres are aligned (source coordinate
    /// `(x + 0.5) · W / w − 0.5`, clamped to the edges), each output sample rounded to nearest.
    /// - Throws: `ImageTransformError.invalidSize` when a side is not in 1…`maxTransformSide`.
    public func resized(width w: Int, height h: Int) throws(ImageTransformError) -> Image {
        guard w >= 1, h >= 1, w <= Image.maxTransformSide, h <= Image.maxTransformSide, width > 0, height > 0 else {
            throw .invalidSize(width: w, height: h)
        }
        if w == width && h == height { return self }
        let c = channels
        // Per-column source indices and weights, computed once.
        var x0s = [Int](repeating: 0, count: w)
        var x1s = [Int](repeating: 0, count: w)
        var fxs = [Float](repeating: 0, count: w)
        let sx = Float(width) / Float(w)
        let sy = Float(height) / Float(h)
        for x in 0..<w {
            let f = max(0, min(Float(width - 1), (Float(x) + 0.5) * sx - 0.5))
            let i = Int(f)
            x0s[x] = i * c
            x1s[x] = min(i + 1, width - 1) * c
            fxs[x] = f - Float(i)
        }
        let out = [UInt8](unsafeUninitializedCapacity: w * h * c) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                for y in 0..<h {
                    let fy = max(0, min(Float(height - 1), (Float(y) + 0.5) * sy - 0.5))
                    let iy = Int(fy)
                    let wy = fy - Float(iy)
                    let r0 = iy * width * c
                    let r1 = min(iy + 1, height - 1) * width * c
                    var o = y * w * c
                    for x in 0..<w {
                        let a = x0s[x]
                        let b = x1s[x]
                        let wx = fxs[x]
                        for k in 0..<c {
                            let top = Float(src[r0 + a + k]) + (Float(src[r0 + b + k]) - Float(src[r0 + a + k])) * wx
                            let bottom = Float(src[r1 + a + k]) + (Float(src[r1 + b + k]) - Float(src[r1 + a + k])) * wx
                            let v = top + (bottom - top) * wy
                            dst[o + k] = UInt8(max(0, min(255, v + 0.5)))
                        }
                        o += c
                    }
                }
            }
            count = w * h * c
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }

    /// The image as a planar (CHW) Float32 tensor: `channels` planes of `height × width`, row-major, each sample
    /// `(value − mean[c]) · scale[c]`.
    /// - Throws: `ImageTransformError.channelMismatch` when `mean`/`scale` hold neither 1 nor `channels` values.
    public func planarTensor(_ normalization: TensorNormalization = .unit) throws(ImageTransformError) -> [Float] {
        for values in [normalization.mean, normalization.scale] where values.count != 1 && values.count != channels {
            throw .channelMismatch(expected: channels, got: values.count)
        }
        let n = width * height
        let c = channels
        return [Float](unsafeUninitializedCapacity: n * c) { dst, count in
            pixels.withUnsafeBufferPointer { src in
                for k in 0..<c {
                    let m = normalization.mean.count == 1 ? normalization.mean[0] : normalization.mean[k]
                    let s = normalization.scale.count == 1 ? normalization.scale[0] : normalization.scale[k]
                    let plane = k * n
                    for i in 0..<n { dst[plane + i] = (Float(src[i * c + k]) - m) * s }
                }
            }
            count = n * c
        }
    }
}
