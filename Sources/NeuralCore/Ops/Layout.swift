/// How a batch of feature maps is laid out in memory.
///
/// - `nchw`: sample-major, `[n][c][h][w]` (the layout of ``Tensor``).
/// - `cnhw`: channel-major, `[c][n][h][w]`: each channel's planes for the whole batch are adjacent, so a
///   convolution over the batch is a single GEMM whose output is already in this layout. For n = 1 the two
///   layouts are identical.
package enum TensorLayout: Sendable, Hashable {
    case nchw
    case cnhw

    /// The offset of plane (sample `s`, channel `ch`) in units of planes.
    @inlinable
    package func planeIndex(sample s: Int, channel ch: Int, shape: TensorShape) -> Int {
        switch self {
        case .nchw: return s * shape.c + ch
        case .cnhw: return ch * shape.n + s
        }
    }

    /// The channel of plane index `p`.
    @inlinable
    package func channel(ofPlane p: Int, shape: TensorShape) -> Int {
        switch self {
        case .nchw: return p % shape.c
        case .cnhw: return p / shape.n
        }
    }
}
