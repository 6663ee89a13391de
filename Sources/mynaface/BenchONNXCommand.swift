import ArgumentParser
import Foundation
import NeuralCore
import ONNXFormat

/// `mynaface bench-onnx`: times the ONNX graph executor on generated models (Scripts/make-onnx-nets.py), for
/// Scripts/bench-onnx.py, which times onnxruntime on the same models in the same run and prints the ratios.
struct BenchONNXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-onnx",
        abstract: "Time the ONNX graph executor on generated models (medians over --runs, after a warm-up).")

    @Option(help: "Folder of the generated models (default: $MYNAFACE_ONNX_FIXTURES, else <cache root>/onnx-fixtures).")
    var fixtures: String?

    @Option(help: "Models to time (comma-separated names of the fixture index).")
    var models: String = "mobilefacenet,iresnet50"

    @Option(help: "Thread counts to time (comma-separated).")
    var threads: String = "1,2"

    @Option(help: "Timed runs per model and thread count.")
    var runs: Int = 15

    struct Timing: Codable {
        var model: String
        var threads: Int
        var medianMs: Double
        var minMs: Double
        var runs: Int
    }

    func run() throws {
        let dir =
            fixtures.map { URL(fileURLWithPath: $0) }
            ?? ProcessInfo.processInfo.environment["MYNAFACE_ONNX_FIXTURES"].map { URL(fileURLWithPath: $0) }
            ?? MynaFacePaths.current.cacheRoot.appendingPathComponent("onnx-fixtures")
        var timings: [Timing] = []
        for name in models.split(separator: ",").map(String.init) {
            let model: GraphModel
            do { model = try ONNXModelReader.read(contentsOf: dir.appendingPathComponent(name + ".onnx")) } catch {
                CLI.fail("mynaface bench-onnx: \(error)", status: .unreadableInput)
            }
            let shape = model.inputShape
            guard let input = FileManager.default.contents(atPath: dir.appendingPathComponent(name + ".input.bin").path)
            else { CLI.fail("mynaface bench-onnx: no input for \(name) in \(dir.path)", status: .unreadableInput) }
            let x = input.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            for t in threads.split(separator: ",").compactMap({ Int($0) }) {
                let net: GraphNetwork
                do {
                    net = try GraphNetwork(
                        model: model, channels: shape[1], height: shape[2], width: shape[3], threads: t)
                } catch { CLI.fail("mynaface bench-onnx: \(name): \(error)", status: .modelsOrPipeline) }
                var y = [Float](repeating: 0, count: net.outputCount)
                var times: [Double] = []
                for i in 0..<(runs + 3) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { net.run(xb, into: $0) } }
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                    if i >= 3 { times.append(ms) }  // three warm-up runs
                }
                times.sort()
                timings.append(
                    Timing(
                        model: name, threads: t, medianMs: times[times.count / 2], minMs: times[0], runs: times.count))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(timings), as: UTF8.self))
    }
}
