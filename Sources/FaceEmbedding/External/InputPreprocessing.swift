import FaceImaging

/// How an aligned face becomes an external network's input: colour order, per-channel normalisation and the NCHW
/// layout (batch 1), as a model's manifest declares them.
///
/// Each input value is `(pixel − mean[c]) / std[c]`, where `c` is the channel in the **model's** order (for a BGR
/// model, channel 0 is blue). ArcFace-family models use `mean 127.5, std 127.5` (values in [−1, 1]).
package struct InputPreprocessing: Sendable, Equatable {
    /// The order of the three colour channels in the network's input.
    package enum ChannelOrder: String, Sendable, Equatable, Codable {
        case rgb = "RGB"
        case bgr = "BGR"
    }

    /// Input width and height (pixels).
    package var width: Int
    package var height: Int
    /// The network's channel order.
    package var channelOrder: ChannelOrder
    /// Per-channel mean and standard deviation, in the network's channel order (grey levels 0…255).
    package var mean: SIMD3<Float>
    package var std: SIMD3<Float>

    /// Creates the preprocessing of a 3-channel NCHW input.
    package init(width: Int, height: Int, channelOrder: ChannelOrder, mean: SIMD3<Float>, std: SIMD3<Float>) {
        self.width = width
        self.height = height
        self.channelOrder = channelOrder
        self.mean = mean
        self.std = std
    }

    /// Floats one input holds: `3 · height · width`.
    package var inputCount: Int { 3 * width * height }

    /// Writes `face` (``width`` × ``height``, RGB, or grey expanded to R = G = B) into `input` as NCHW floats.
    ///
    /// - Precondition: the face has the input size (checked by the caller) and `input` holds ``inputCount`` floats.
    package func fill(_ input: UnsafeMutableBufferPointer<Float>, from face: Image) {
        let plane = width * height
        let scale = 1 / std
        // Source channel of each network channel.
        let source: SIMD3<Int> = channelOrder == .rgb ? SIMD3(0, 1, 2) : SIMD3(2, 1, 0)
        let out = input.baseAddress!
        face.pixels.withUnsafeBufferPointer { px in
            if face.channels == 1 {
                for i in 0..<plane {
                    let v = Float(px[i])
                    for c in 0..<3 { out[c * plane + i] = (v - mean[c]) * scale[c] }
                }
            } else {
                for c in 0..<3 {
                    let dst = out + c * plane
                    let m = mean[c]
                    let k = scale[c]
                    let s = source[c]
                    for i in 0..<plane { dst[i] = (Float(px[3 * i + s]) - m) * k }
                }
            }
        }
    }
}
