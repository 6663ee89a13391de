import Foundation
import NeuralCore
import ONNXFormat

/// The parity fixtures Scripts/make-onnx-nets.py writes (models, inputs and onnxruntime's outputs).
///
/// Found through `MYNAFACE_ONNX_FIXTURES` (set by Scripts/test.sh after it generates them), else
/// `<cache root>/onnx-fixtures`. When the variable is set the tests run and fail on missing files; when neither the
/// variable nor the default folder exists they are skipped with a message.
enum ONNXFixtures {
    struct Entry: Decodable, Sendable {
        let name: String
        let kind: String
        let model: String
        let input: String
        let inputShape: [Int]
        let output: String
        let outputShape: [Int]
    }

    struct Index: Decodable { let models: [Entry] }

    static let variable = ProcessInfo.processInfo.environment["MYNAFACE_ONNX_FIXTURES"].flatMap {
        $0.isEmpty ? nil : $0
    }

    static let directory: URL =
        variable.map { URL(fileURLWithPath: $0, isDirectory: true) }
        ?? MynaFacePaths.current.cacheRoot.appendingPathComponent("onnx-fixtures", isDirectory: true)

    /// Whether the parity tests run: the variable is set, or the default folder exists.
    static let enabled = variable != nil || FileManager.default.fileExists(atPath: directory.path)

    static func index() throws -> [Entry] {
        try JSONDecoder().decode(Index.self, from: Data(contentsOf: directory.appendingPathComponent("index.json")))
            .models
    }

    static func floats(_ file: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Our executor's output on the entry's input, and onnxruntime's.
    static func run(_ e: Entry, threads: Int) throws -> (ours: [Float], reference: [Float]) {
        let model = try ONNXModelReader.read(contentsOf: directory.appendingPathComponent(e.model))
        let net = try GraphNetwork(
            model: model, channels: e.inputShape[1], height: e.inputShape[2], width: e.inputShape[3], threads: threads)
        let x = try floats(e.input)
        var y = [Float](repeating: .nan, count: net.outputCount)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { net.run(xb, into: $0) } }
        return (y, try floats(e.output))
    }

    /// max |ours − reference| / ‖reference‖ (infinite when the counts differ or a value is NaN).
    static func relativeError(_ ours: [Float], _ reference: [Float]) -> Double {
        guard ours.count == reference.count, !reference.isEmpty else { return .infinity }
        let norm = reference.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        var worst = 0.0
        for (a, b) in zip(ours, reference) {
            let d = abs(Double(a) - Double(b))
            if d.isNaN { return .infinity }
            worst = max(worst, d)
        }
        return worst / max(norm, .leastNormalMagnitude)
    }
}
