import Foundation
import NeuralCore
import ONNXFormat

/// Loads an external model's `.onnx` file into a ``TensorNetwork`` planned for its input size.
///
/// The one place the ONNX reader (`ONNXFormat`) and the graph executor (`GraphNetwork`) are called from the pipeline.
package enum ONNXNetworkLoader {
    /// Whether this build can run ONNX models.
    package static let isAvailable = true

    /// The network in `url`, planned for a 1×3×`height`×`width` input on `threads` threads.
    /// - Throws: ``ModelManifestError/network(path:detail:)`` with the reader's or executor's error (which names the
    ///   node, operator or attribute).
    static func network(contentsOf url: URL, width: Int, height: Int, threads: Int) throws(ModelManifestError)
        -> any TensorNetwork
    {
        let model: GraphModel
        do { model = try ONNXModelReader.read(contentsOf: url) } catch {
            throw .network(path: url.path, detail: error.description)
        }
        do { return try GraphNetwork(model: model, channels: 3, height: height, width: width, threads: threads) } catch
        {
            throw .network(path: url.path, detail: error.description)
        }
    }
}
