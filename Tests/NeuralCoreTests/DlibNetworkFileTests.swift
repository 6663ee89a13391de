import Foundation
import TestSupport
import Testing

@testable import NeuralCore

@Suite("dlib DNN file reader")
struct DlibNetworkFileTests {
    static let resnet = TestEnvironment.model("dlib_face_recognition_resnet_model_v1.dat")
    static let mmod = TestEnvironment.model("mmod_human_face_detector.dat")

    @Test(
        "the face ResNet parses: 22,466,066 bytes, 5,614,592 parameters, 29 convs, 22 tags/skips",
        .enabled(if: resnet != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func resnetParses() throws {
        let file = try DlibNetworkFile(contentsOf: Self.resnet!)
        #expect(file.byteCount == 22_466_066)
        #expect(file.parameterCount == 5_614_592)
        #expect(file.tagOrSkipCount == 22)
        #expect(file.layers.count == 108)  // 29 convs + 29 affines + relus, pools, add_prevs, fc
        #expect(file.layers.filter { $0.kind == "con" }.count == 29)
        #expect(file.input == .inputRGBImageSized(means: [122.782, 117.001, 104.298], rows: 150, columns: 150))
        guard case .lossMetric(let margin, let thresh) = file.loss else {
            Issue.record("loss is \(file.loss.kind)")
            return
        }
        #expect(abs(margin - 0.04) < 1e-6)
        #expect(abs(thresh - 0.6) < 1e-6)
        guard case .convolution(let stem) = file.layers[0] else {
            Issue.record("first layer is \(file.layers[0].kind)")
            return
        }
        #expect(
            [stem.filters, stem.inChannels, stem.kernelHeight, stem.strideY, stem.padY] as [Int] == [32, 3, 7, 2, 0])
        guard case .fullyConnected(let fc) = file.layers.last else {
            Issue.record("last layer is not fc")
            return
        }
        #expect(fc.inputs == 256 && fc.outputs == 128 && fc.bias == nil)
    }

    @Test(
        "the MMOD detector parses: 181,141 parameters, bn_con2 and loss_mmod_ options",
        .enabled(if: mmod != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func mmodParses() throws {
        let file = try DlibNetworkFile(contentsOf: Self.mmod!)
        #expect(file.parameterCount == 181_141)
        guard case .inputRGBImagePyramid = file.input else {
            Issue.record("input is \(file.input.kind)")
            return
        }
        let convs = file.layers.compactMap { if case .convolution(let c) = $0 { c } else { nil } }
        #expect(convs.map(\.filters) == [16, 32, 32, 45, 45, 45, 1])
        #expect(convs.map(\.kernelHeight) == [5, 5, 5, 5, 5, 5, 9])
        #expect(convs.map(\.padY) == [0, 0, 0, 2, 2, 2, 4])
        #expect(file.layers.filter { $0.kind == "bn" }.count == 6)
        guard case .lossMMOD(let loss) = file.loss else {
            Issue.record("loss is \(file.loss.kind)")
            return
        }
        #expect(abs(loss.nmsIOU - 0.33828) < 1e-4)
        #expect(loss.nmsPercentCovered == 1.0)
        #expect(loss.version == 1)
        #expect(loss.windows == [MMODLossRecord.Window(width: 80, height: 80, label: "")])
        #expect(loss.ignoreIOU == 0.5 && loss.truthMatchIOU == 0.5)
        guard case .inputRGBImagePyramid(let means, let padding, let outer) = file.input else { return }
        #expect(abs(means[0] - 122.782) < 1e-3 && padding == 10 && outer == 11)
    }

    @Test(
        "a truncated ResNet file throws a typed truncation error",
        .enabled(if: resnet != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func truncated() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.resnet!))
        for cut in [0, 1, 5, 1000, bytes.count / 2, bytes.count - 1] {
            #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: Array(bytes[0..<cut])) }
        }
        let result = Result { () throws(DlibFormatError) -> DlibNetworkFile in
            try DlibNetworkFile(bytes: Array(bytes[0..<(bytes.count / 2)]))
        }
        switch result {
        case .failure(.truncated): break
        case .failure(let other): Issue.record("expected .truncated, got \(other)")
        case .success: Issue.record("half a file parsed")
        }
    }

    @Test(
        "corrupted bytes throw DlibFormatError, never trap",
        .enabled(if: resnet != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func corrupted() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.resnet!))
        var bad = bytes
        bad[0] = 0x7F  // invalid loss header control byte
        #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: bad) }
        var renamed = bytes
        if let i = (0..<200).first(where: { bytes[$0] == UInt8(ascii: "l") && bytes[$0 + 1] == UInt8(ascii: "o") }) {
            renamed[i] = UInt8(ascii: "x")  // "xoss_metric_2": unknown record
            #expect(throws: DlibFormatError.unsupported(offset: i - 2, detail: "unknown layer record 'xoss_metric_2'"))
            {
                try DlibNetworkFile(bytes: renamed)
            }
        } else {
            Issue.record("loss record name not found")
        }
        #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: bytes + [0]) }
    }

    @Test("a missing model names the set-up script")
    func missingModel() {
        let store = ModelStore(directory: URL(fileURLWithPath: "/nonexistent-mynaface"))
        #expect(throws: ModelFileError.missing(name: "x.dat", directory: "/nonexistent-mynaface")) {
            try store.url(for: "x.dat")
        }
        #expect(ModelFileError.missing(name: "x.dat", directory: "/d").description.contains("Scripts/setup.sh"))
        let manifest = "# c\nmodel\tp\t1\ta/b/x.dat\tABCD\n"
        #expect(ModelStore.manifestSHA256(for: "x.dat", manifest: manifest) == "abcd")
        #expect(ModelStore.manifestSHA256(for: "y.dat", manifest: manifest) == nil)
    }
}

@Suite("hostile dlib inputs")
struct HostileInputTests {
    /// dlib integer encoding: control byte (sign bit 7, byte count), then little-endian magnitude.
    static func int(_ v: Int64) -> [UInt8] {
        var m = v.magnitude
        var bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(m & 0xFF))
            m >>= 8
        } while m > 0
        return [UInt8(bytes.count) | (v < 0 ? 0x80 : 0)] + bytes
    }

    @Test("a tensor announcing 2^40 elements is refused before allocating")
    func hugeTensor() {
        var r = DlibReader(bytes: Self.int(2) + Self.int(1 << 20) + Self.int(1 << 20) + Self.int(1) + Self.int(1))
        #expect(throws: DlibFormatError.invalidShape(offset: 0, detail: "tensor dims [1048576, 1048576, 1, 1]")) {
            try r.tensor()
        }
        var neg = DlibReader(bytes: Self.int(2) + Self.int(-3) + Self.int(1) + Self.int(1) + Self.int(1))
        #expect(throws: DlibFormatError.self) { try neg.tensor() }
    }

    @Test("a tensor whose data is cut short reports truncation")
    func shortTensor() throws {
        var r = DlibReader(
            bytes: Self.int(2) + Self.int(1) + Self.int(1) + Self.int(2) + Self.int(2) + [0, 0, 0x80, 0x3F])
        #expect(throws: DlibFormatError.truncated(offset: 10, needed: 12)) { try r.tensor() }
        var ok = DlibReader(
            bytes: Self.int(2) + Self.int(1) + Self.int(1) + Self.int(1) + Self.int(1) + [0, 0, 0x80, 0x3F])
        #expect(try ok.tensor().data == [1])
    }

    @Test("a file of endless wrapper headers or garbage throws, never hangs")
    func garbage() {
        #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: []) }
        #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: [UInt8](repeating: 0xFF, count: 64)) }
        let loss =
            Self.int(1) + Self.int(13) + Array("loss_metric_2".utf8) + Self.int(1) + Self.int(0) + Self.int(1)
            + Self.int(0)
        let headers = (0..<1000).flatMap { _ in Self.int(2) }
        #expect(throws: DlibFormatError.self) { try DlibNetworkFile(bytes: loss + headers) }
    }
}
