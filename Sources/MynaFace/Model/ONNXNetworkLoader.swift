import Foundation
import NeuralCore

/// Loads an external model's `.onnx` file into a ``TensorNetwork`` planned for its input size.
///
/// The one place the ONNX reader (`ONNXFormat`) and the graph executor (`GraphNetwork`) are called from the pipeline.
package enum ONNXNetworkLoader {
    /// Whether this build can run ONNX models (false until the ONNX reader and executor are merged).
    package static let isAvailable = false

    /// The network in `url`, planned for a 1×3×`height`×`width` input on `threads` threads.
    /// - Throws: ``ModelManifestError/network(path:detail:)`` with the reader's or executor's error.
    static func network(contentsOf url: URL, width: Int, height: Int, threads: Int) throws(ModelManifestError)
        -> any TensorNetwork
    {
        // The ONNX reader and executor (issue 24, branch onnx-core) are not merged into this build yet: the lead fills
        // this in with `ONNXModelReader.read(contentsOf:)` and `GraphNetwork(model:channels:height:width:threads:)`.
        throw .network(
            path: url.path, detail: "this build has no ONNX executor yet (issue 24: ONNXModelReader / GraphNetwork)")
    }
}
