import Foundation
import NeuralCore
import ONNXFormat
import Testing

/// Our executor against onnxruntime on the generated models: max |diff| ≤ 1e-4 · ‖output‖ for every operator model
/// and every whole network (MobileFaceNet, IResNet-50 with its true [3, 4, 14, 3] depth, SFace-like).
@Suite(
    .enabled(
        if: ONNXFixtures.enabled,
        "needs the ONNX fixtures: run `python3 Scripts/make-onnx-nets.py` (numpy, onnx, onnxruntime) or set MYNAFACE_ONNX_FIXTURES"
    ))
struct ParityTests {
    static let tolerance = 1e-4

    @Test func everyOperatorModelMatchesONNXRuntime() throws {
        let operators = try ONNXFixtures.index().filter { $0.kind == "operator" }
        #expect(operators.count >= 44, "the generator writes one model per operator variant")
        for e in operators {
            for threads in [1, 2] {
                let (ours, reference) = try ONNXFixtures.run(e, threads: threads)
                #expect(ours.count == e.outputShape.reduce(1, *), "\(e.name)")
                let error = ONNXFixtures.relativeError(ours, reference)
                #expect(error <= Self.tolerance, "\(e.name), \(threads) threads: relative error \(error)")
            }
        }
    }

    @Test(arguments: ["mobilefacenet", "iresnet50", "sface_like"])
    func wholeNetworkMatchesONNXRuntime(_ name: String) throws {
        let e = try #require(try ONNXFixtures.index().first { $0.name == name }, "\(name) missing from the fixtures")
        for threads in [1, 2] {
            let (ours, reference) = try ONNXFixtures.run(e, threads: threads)
            #expect(ours.count == (name == "iresnet50" ? 512 : 128))
            let error = ONNXFixtures.relativeError(ours, reference)
            #expect(error <= Self.tolerance, "\(name), \(threads) threads: relative error \(error)")
        }
    }

    /// Concurrent callers each take their own workspace: the same result as one caller, bit for bit.
    @Test func concurrentCallersGetTheSameResult() async throws {
        let e = try #require(try ONNXFixtures.index().first { $0.name == "mobilefacenet" })
        let model = try ONNXModelReader.read(contentsOf: ONNXFixtures.directory.appendingPathComponent(e.model))
        let net = try GraphNetwork(model: model, channels: 3, height: 112, width: 112, threads: 2)
        let x = try ONNXFixtures.floats(e.input)
        func once() -> [Float] {
            var y = [Float](repeating: 0, count: net.outputCount)
            x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { net.run(xb, into: $0) } }
            return y
        }
        let serial = once()
        let results = await withTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { (0..<3).map { _ in once() }.last! } }
            return await group.reduce(into: [[Float]]()) { $0.append($1) }
        }
        #expect(results.count == 4)
        for r in results { #expect(r == serial) }
    }
}
