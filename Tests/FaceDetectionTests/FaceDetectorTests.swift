import FaceImaging
import Foundation
import NeuralCore
import TestSupport
import Testing

@testable import FaceDetection

@Suite("MMOD face detector")
struct FaceDetectorTests {
    static let modelPresent = sharedDetector != nil

    @Test(
        "the model file parses into dlib's MMOD network",
        .enabled(if: modelPresent, "\(TestEnvironment.modelsAbsentMessage)"))
    func modelStructure() throws {
        let m = try #require(sharedDetector).model
        #expect(m.layers.map(\.outChannels) == [16, 32, 32, 45, 45, 45, 1])
        #expect(m.layers.map(\.kernel) == [5, 5, 5, 5, 5, 5, 9])
        #expect(m.layers.map(\.stride) == [2, 2, 2, 1, 1, 1, 1])
        #expect(m.layers.map(\.pad) == [0, 0, 0, 2, 2, 2, 4])
        #expect(m.layers.map(\.relu) == [true, true, true, true, true, true, false])
        // 181,141 parameters in the file = conv weights and biases + γ, β of the 6 batch norms (2 × 215).
        let convParameters: Int = m.layers.reduce(0) { $0 + $1.weights.count + $1.bias.count }
        #expect(convParameters == 180_711)
        #expect(m.windowWidth == 80 && m.windowHeight == 80)
        #expect(abs(m.nmsIOU - 0.33828) < 1e-5 && m.nmsPercentCovered == 1)
        #expect(m.pyramidPadding == 10 && m.pyramidOuterPadding == 11)
        #expect(abs(m.means.r - 122.782) < 1e-3 && abs(m.means.g - 117.001) < 1e-3 && abs(m.means.b - 104.298) < 1e-3)
        // output cell c ↦ input pixel 8c + 14; receptive field [8c − 80, 8c + 108].
        #expect(m.outputToInput(0) == 14 && m.outputToInput(3) == 38)
        #expect(m.receptiveField.scale == 8 && m.receptiveField.lo == -80 && m.receptiveField.hi == 108)
    }

    @Test("tiled pyramid layout of a 640×480 image (dlib's compute_tiled_image_pyramid_details)")
    func layout640x480() {
        let l = PyramidLayout(imageRows: 480, imageColumns: 640, padding: 10, outerPadding: 11)
        #expect(l.rows == 1782 && l.columns == 662)
        #expect(l.rects.count == 24)
        #expect(l.rects[0] == PixelRect(left: 11, top: 11, right: 650, bottom: 490))
        #expect(l.rects[1] == PixelRect(left: 11, top: 501, right: 543, bottom: 900))
        #expect(l.rects[4] == PixelRect(left: 11, top: 1541, right: 318, bottom: 1770))
        #expect(l.rects[5] == PixelRect(left: 395, top: 1580, right: 650, bottom: 1770))
        #expect(l.rects[23] == PixelRect(left: 643, top: 512, right: 650, bottom: 516))
        #expect(l.nearestLevel(x: 400, y: 1600) == 5)
        #expect(l.nearestLevel(x: 0, y: 0) == 0)
    }

    @Test("the pyramid resampler is dlib's bilinear resize_image on floats")
    func pyramidResize() {
        // 7×5 ramp → 5×4 (floor(5/6·7) = 5, floor(5/6·5) = 4); values checked by hand from the formula:
        // x scale (7−1)/(5−1) = 1.5, y scale (5−1)/(4−1) = 4/3.
        var buf = [Float](repeating: 0, count: 40 * 10)
        for y in 0..<5 { for x in 0..<7 { buf[y * 40 + x] = Float(x + 10 * y) } }
        buf.withUnsafeMutableBufferPointer { b in
            PyramidBuilder.resize(
                from: b.baseAddress!, src: PixelRect(left: 0, top: 0, right: 6, bottom: 4),
                to: b.baseAddress!, dst: PixelRect(left: 10, top: 0, right: 14, bottom: 3), stride: 40)
        }
        // Bilinear on a linear ramp reproduces the ramp: v = 1.5·c + 10·(4/3)·r.
        for r in 0..<4 {
            for c in 0..<5 {
                let expected = 1.5 * Double(c) + 10 * (4.0 / 3.0) * Double(r)
                #expect(abs(Double(buf[r * 40 + 10 + c]) - expected) < 1e-4, "(\(c), \(r))")
            }
        }
    }

    @Test(
        "the pyramid's stored rows: the same values on one thread as on two, bit for bit, and at every tile cell",
        arguments: [(97, 131, false), (480, 640, false), (720, 1280, true), (61, 45, false)])
    func pyramidStoredRows(height: Int, width: Int, scaleAware: Bool) {
        var rng = SplitMix64(seed: UInt64(height * 1000 + width))
        let image = Image(
            width: width, height: height, channels: 3,
            pixels: (0..<(width * height * 3)).map { _ in UInt8.random(in: 1...255, using: &rng) })
        let layout = PyramidLayout(imageRows: height, imageColumns: width, padding: 10, outerPadding: 11)
        let geometry = PlaneGeometry(rows: layout.rows, columns: layout.columns, phased: true)
        // Scale-aware: only the rows of the levels from 3 on are stored (the big ones are resampled through).
        var needed: CellMask?
        if scaleAware {
            var m = CellMask(rows: layout.rows, columns: layout.columns)
            for r in layout.rects.dropFirst(3) { m.mark(x0: r.left, x1: r.right + 1, y0: r.top, y1: r.bottom + 1) }
            needed = m
        }
        let plan = PyramidBuilder.Plan(layout: layout, geometry: geometry, needed: needed)
        func build(threads: Int) -> [Float] {
            var planes = [Float](repeating: 0, count: 3 * geometry.count)
            var rings = [Float](repeating: 0, count: 3 * plan.ringFloats)
            planes.withUnsafeMutableBufferPointer { p in
                rings.withUnsafeMutableBufferPointer { r in
                    PyramidBuilder.fill(
                        image, plan: plan, means: (122.782, 117.001, 104.298), into: p.baseAddress!,
                        rings: r.baseAddress!, team: WorkerTeam(size: threads))
                }
            }
            return planes
        }
        let one = build(threads: 1)
        #expect(zip(one, build(threads: 2)).filter { $0.bitPattern != $1.bitPattern }.count == 0, "values that differ")
        // Level 0 is (pixel − mean)/256 at its tile cells; the stored rows hold a value at every cell of their
        // tile and nothing between the tiles (the phase planes hold each cell once).
        let first = layout.rects[0]
        if plan.levels[0].storedRows.contains(0) {
            for x in [0, 1, 2, width - 2, width - 1] {
                let v = one[geometry.rowOffset(first.top) + geometry.columnOffset(first.left + x)]
                #expect(v == (Float(image.pixels[3 * x]) - 122.782) / 256)
            }
        }
        var stored = 0
        for level in plan.levels { stored += level.storedRows.count * level.rect.width }
        #expect(one.prefix(geometry.count).filter { $0 != 0 }.count == stored)
    }

    @Test(
        "sample photos: same boxes and scores as dlib's cnn_face_detection_model_v1(img, 0)",
        .enabled(if: modelPresent, "\(TestEnvironment.modelsAbsentMessage)"),
        arguments: [
            ("obama.jpg", DlibBox(375, 154, 611, 390, 1.1023917198181152)),
            ("obama2.jpg", DlibBox(170, 278, 454, 561, 1.0695905685424805)),
        ])
    func samplePhotos(name: String, expected: DlibBox) throws {
        guard let url = TestEnvironment.sample(name) else {
            print("skipping \(name): sample photos not fetched (Scripts/fetch-models.sh)")
            return
        }
        let detector = try #require(sharedDetector)
        let image = try loadImage(url)
        let full = try detector.detect(in: image, options: .fullPyramid)
        #expect(full.faces.count == 1)
        #expect(full.faces.first?.box == expected.rect)
        #expect(abs((full.faces.first?.score ?? 0) - expected.score) < 1e-4)
        // The reader default (faces ≥ 15% of the width) skips the big levels and finds the same face.
        let fast = try detector.detect(in: image)
        #expect((fast.levelsUsed?.lowerBound ?? 0) > 0)
        #expect(fast.faces.first?.box == expected.rect)
        #expect(abs((fast.faces.first?.score ?? 0) - expected.score) < 1e-4)
        #expect(fast.multiplyAdds < full.multiplyAdds)
    }

    @Test(
        "a blank frame has no face: a typed failure-to-acquire",
        .enabled(if: modelPresent, "\(TestEnvironment.modelsAbsentMessage)"))
    func blankImage() throws {
        let detector = try #require(sharedDetector)
        let blank = Image(width: 320, height: 240, channels: 3, pixels: [UInt8](repeating: 128, count: 320 * 240 * 3))
        let result = try detector.detect(in: blank)
        #expect(result.faces.isEmpty)
        #expect(result.levelsUsed == 0...(result.levelCount - 1))
        #expect(
            throws: FaceAcquisitionError.noFace(
                imageWidth: 320, imageHeight: 240, minimumFaceSize: 48,
                levels: result.levelsUsed)
        ) {
            try result.selectFace()
        }
    }

    @Test("greyscale input is read as R = G = B", .enabled(if: modelPresent, "\(TestEnvironment.modelsAbsentMessage)"))
    func greyscale() throws {
        guard let url = TestEnvironment.sample("obama2.jpg") else {
            print("skipping: sample photos not fetched")
            return
        }
        let detector = try #require(sharedDetector)
        let rgb = try loadImage(url)
        var grey = [UInt8](repeating: 0, count: rgb.width * rgb.height)
        var rgbGrey = [UInt8](repeating: 0, count: rgb.width * rgb.height * 3)
        for i in 0..<grey.count {
            let v = UInt8((Int(rgb.pixels[3 * i]) + Int(rgb.pixels[3 * i + 1]) + Int(rgb.pixels[3 * i + 2])) / 3)
            grey[i] = v
            rgbGrey[3 * i] = v
            rgbGrey[3 * i + 1] = v
            rgbGrey[3 * i + 2] = v
        }
        // Both searches: the reader's default (the greyscale path computes one pyramid and a two-plane first
        // layer, equal to the three-plane one up to float rounding) and the full pyramid.
        for options in [DetectionOptions(), .fullPyramid] {
            let a = try detector.detect(
                in: Image(width: rgb.width, height: rgb.height, channels: 1, pixels: grey), options: options)
            let b = try detector.detect(
                in: Image(width: rgb.width, height: rgb.height, channels: 3, pixels: rgbGrey), options: options)
            #expect(a.faces.map(\.box) == b.faces.map(\.box))
            #expect(a.faces.map(\.level) == b.faces.map(\.level))
            for (x, y) in zip(a.faces, b.faces) { #expect(abs(x.score - y.score) < 1e-5) }
            #expect(a.faces.count == 1)
        }
    }

    @Test(
        "the greyscale first layer equals the three-plane layer on R = G = B input, up to float rounding",
        .enabled(if: modelPresent, "\(TestEnvironment.modelsAbsentMessage)"))
    func greyFirstLayer() throws {
        // One output cell of the first layer at a tile's corner: taps on the tile (value g − m_c) and off it (0).
        let model = try #require(sharedDetector).model
        let rgb = model.layers[0]
        let grey = model.greyLayers[0]
        #expect(grey.inChannels == 2 && grey.outChannels == rgb.outChannels && grey.patchSize == 50)
        let taps = rgb.kernel * rgb.kernel
        let means = [model.means.r, model.means.g, model.means.b]
        var seed: UInt32 = 5
        for o in 0..<rgb.outChannels {
            // A random 5×5 patch of grey levels; the top row and left column lie off the tile.
            var pixels = [Float](repeating: 0, count: taps)
            var onTile = [Bool](repeating: false, count: taps)
            for t in 0..<taps {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                pixels[t] = Float(seed >> 24)
                onTile[t] = t >= rgb.kernel && t % rgb.kernel != 0
            }
            var want = Double(rgb.bias[o])
            var got = Double(grey.bias[o])
            for t in 0..<taps where onTile[t] {
                for c in 0..<3 {
                    want += Double(rgb.weights[(o * 3 + c) * taps + t]) * Double((pixels[t] - means[c]) / 256)
                }
                got += Double(grey.weights[(o * 2) * taps + t]) * Double((pixels[t] - means[0]) / 256)
                got += Double(grey.weights[(o * 2 + 1) * taps + t])
            }
            #expect(abs(got - want) < 1e-5, "channel \(o): \(got) vs \(want)")
        }
    }

    @Test("bad model bytes, empty images and absurd options give typed errors")
    func badInputs() throws {
        #expect(throws: FaceDetectionError.self) { try FaceDetector(modelBytes: []) }
        #expect(throws: FaceDetectionError.self) {
            try FaceDetector(modelBytes: [1, 1, 10] + Array("loss_mmod_".utf8))
        }
        if let url = TestEnvironment.model("mmod_human_face_detector.dat") {
            let bytes = [UInt8](try Data(contentsOf: url))
            for cut in [10, 100, 5000, bytes.count - 1] {
                #expect(throws: FaceDetectionError.self) { try FaceDetector(modelBytes: Array(bytes[0..<cut])) }
            }
            var hostile = bytes
            hostile[0x5a] = 0x01
            hostile[0x5b] = 0x07  // an unknown layer header where the input layer starts
            #expect(throws: FaceDetectionError.self) { try FaceDetector(modelBytes: hostile) }
        }
        guard let detector = sharedDetector else { return }
        #expect(throws: FaceDetectionError.emptyImage) {
            try detector.detect(in: Image(width: 0, height: 0, channels: 3))
        }
        let tiny = Image(width: 4, height: 3, channels: 1)
        #expect(try detector.detect(in: tiny).faces.isEmpty)
        #expect(throws: FaceDetectionError.self) {
            try detector.detect(in: tiny, options: DetectionOptions(minimumFaceSize: .fractionOfWidth(.nan)))
        }
        #expect(throws: FaceDetectionError.self) {
            try detector.detect(in: tiny, options: DetectionOptions(minimumFaceSize: .pixels(-1)))
        }
        #expect(
            throws: FaceDetectionError.imageTooLarge(width: 9000, height: 9000, maxPixels: FaceDetector.maxTensorPixels)
        ) {
            try detector.detect(in: Image(width: 9000, height: 9000, channels: 1))
        }
    }

    @Test("error messages say what was wrong")
    func messages() {
        #expect(
            FaceDetectionError.imageTooLarge(width: 9000, height: 9000, maxPixels: 24).description.contains("9000×9000")
        )
        #expect(
            FaceAcquisitionError.noFace(imageWidth: 640, imageHeight: 480, minimumFaceSize: 96, levels: 1...23)
                .description.contains("96 px"))
    }

    @Test("face selection: the largest face wins, a second face above the fraction is reported")
    func selection() throws {
        func face(_ l: Int, _ w: Int, _ s: Double) -> Detection {
            Detection(box: PixelRect(left: l, top: 0, right: l + w - 1, bottom: w - 1), score: s, level: 0)
        }
        let timing = DetectionTiming(pyramidMilliseconds: 0, networkMilliseconds: 0, totalMilliseconds: 0)
        var r = DetectionResult(
            faces: [face(0, 100, 1.2), face(200, 200, 0.9), face(500, 99, 1.0)], levelsUsed: 0...5,
            levelCount: 6, minimumFaceSize: 0, imageWidth: 800, imageHeight: 600, multiplyAdds: 0,
            timing: timing)
        let s = try r.selectFace()
        #expect(s.primary.box.left == 200)
        #expect(s.otherFaces.map(\.box.left) == [0])
        #expect(s.hasSecondFace)
        #expect(try r.selectFace(secondFaceFraction: 0.6).otherFaces.isEmpty)
        r.faces = [face(10, 120, 1.0)]
        #expect(try !r.selectFace().hasSecondFace)
    }
}
