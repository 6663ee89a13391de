import FaceImaging
import Foundation
import NeuralCore

/// Computes face embeddings with an external network (an ONNX model run by NeuralCore's graph executor, or any
/// ``TensorNetwork``): aligned face → preprocessing (``InputPreprocessing``) into a reused buffer → network →
/// L2-normalised embedding of the manifest's size.
///
/// `Sendable`: one embedder serves concurrent callers; each call borrows an input and an output buffer from a
/// small pool (made on demand, reused afterwards), so a steady stream of calls allocates only the returned values.
package struct ExternalEmbedder: Sendable {
    /// The network.
    package let network: any TensorNetwork
    /// How an aligned face becomes its input.
    package let preprocessing: InputPreprocessing
    /// Values per embedding (the network's output count).
    package let embeddingSize: Int
    let pool: FloatBufferPool

    /// Wraps a network whose output is `embeddingSize` floats.
    /// - Throws: ``FaceEmbeddingError/outputSizeMismatch(network:manifest:)`` when the network's output count is
    ///   not `embeddingSize`; ``FaceEmbeddingError/wrongDimension(_:)`` for a size outside 1…8192.
    package init(network: any TensorNetwork, preprocessing: InputPreprocessing, embeddingSize: Int)
        throws(FaceEmbeddingError)
    {
        guard (1...FaceEmbedding.maximumDimension).contains(embeddingSize) else { throw .wrongDimension(embeddingSize) }
        guard network.outputCount == embeddingSize else {
            throw .outputSizeMismatch(network: network.outputCount, manifest: embeddingSize)
        }
        self.network = network
        self.preprocessing = preprocessing
        self.embeddingSize = embeddingSize
        pool = FloatBufferPool(inputCount: preprocessing.inputCount, outputCount: embeddingSize)
    }

    /// The L2-normalised embedding of a face aligned to the model's input size (RGB; grey is expanded).
    /// - Throws: ``FaceEmbeddingError/wrongFaceSize(width:height:channels:expectedWidth:expectedHeight:)`` for any
    ///   other size; ``FaceEmbeddingError/degenerateOutput`` when the network's output is zero or not finite.
    package func embedding(ofAlignedFace face: Image) throws(FaceEmbeddingError) -> FaceEmbedding {
        guard face.width == preprocessing.width, face.height == preprocessing.height,
            face.channels == 1 || face.channels == 3
        else {
            throw .wrongFaceSize(
                width: face.width, height: face.height, channels: face.channels,
                expectedWidth: preprocessing.width, expectedHeight: preprocessing.height)
        }
        let buffers = pool.take()
        defer { pool.give(buffers) }
        preprocessing.fill(buffers.input, from: face)
        network.run(UnsafeBufferPointer(buffers.input), into: buffers.output)
        let out = buffers.output
        var sum: Double = 0
        for v in out { sum += Double(v) * Double(v) }
        guard sum.isFinite, sum > 0 else { throw .degenerateOutput }
        let k = Float(1 / sum.squareRoot())
        let values = [Float](unsafeUninitializedCapacity: embeddingSize) { buffer, initialized in
            for i in 0..<embeddingSize { buffer[i] = out[i] * k }
            initialized = embeddingSize
        }
        return FaceEmbedding(unchecked: values)
    }
}

/// One call's input and output buffers.
struct FloatBuffers: @unchecked Sendable {
    let input: UnsafeMutableBufferPointer<Float>
    let output: UnsafeMutableBufferPointer<Float>
}

/// A lock-protected stack of input/output buffer pairs: each call takes one (or makes one) and gives it back.
/// The buffers live as long as the pool.
final class FloatBufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [FloatBuffers] = []
    private var all: [FloatBuffers] = []
    let inputCount: Int
    let outputCount: Int

    init(inputCount: Int, outputCount: Int) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        free.reserveCapacity(16)
        all.reserveCapacity(16)
    }

    deinit {
        for b in all {
            b.input.deallocate()
            b.output.deallocate()
        }
    }

    func take() -> FloatBuffers {
        lock.lock()
        defer { lock.unlock() }
        if let b = free.popLast() { return b }
        let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: inputCount)
        input.initialize(repeating: 0)
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: outputCount)
        output.initialize(repeating: 0)
        let b = FloatBuffers(input: input, output: output)
        all.append(b)
        return b
    }

    func give(_ b: FloatBuffers) {
        lock.lock()
        defer { lock.unlock() }
        free.append(b)
    }
}
