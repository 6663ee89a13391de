/// A network that maps one input tensor to one output vector: the slot a face-embedding model fills.
///
/// dlib's ResNet is wired by hand (FaceEmbedding); any other model (an ONNX graph run by ``GraphNetwork``) is seen by
/// the pipeline only through this protocol, so a test double can stand in for a real model.
package protocol TensorNetwork: Sendable {
    /// Floats the network writes per input (batch 1).
    var outputCount: Int { get }

    /// Runs one input into `output`.
    ///
    /// - Parameters:
    ///   - input: one image in NCHW order, batch 1: `channels · height · width` floats, laid out and normalised as the
    ///     model expects (the caller's preprocessing follows the model's manifest).
    ///   - output: room for ``outputCount`` floats.
    ///
    /// No allocation per call after warm-up; safe to call from several threads at once.
    func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>)
}
