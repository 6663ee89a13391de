import FaceImaging
import Foundation
import NeuralCore
import TestSupport
import Testing

@testable import FaceAlignment

/// dlib's 68-point predictor (`shape_predictor_68_face_landmarks.dat`) against dlib itself: the expected points are what
/// dlib 20.0.1 (the `dlib-bin` wheel) printed for `dlib.shape_predictor(...)(image, dlib.rectangle(...))` on the same images.
@Suite("68-point shape predictor")
struct ShapePredictor68Tests {
    static let predictor: ShapePredictor? = {
        guard let url = TestEnvironment.model("shape_predictor_68_face_landmarks.dat") else { return nil }
        return try? ShapePredictor(contentsOf: url, cacheDirectory: SharedPredictor.cacheDirectory)
    }()

    /// dlib's points on the 320×240 formula image in the box (80, 60)–(239, 179).
    static let formulaPoints: [(Int, Int)] = [
            (99, 104), (100, 117), (103, 131), (108, 143), (116, 153), (124, 163), (136, 170), (145, 175),
            (156, 176), (170, 174), (185, 168), (200, 161), (215, 152), (228, 141), (236, 128), (240, 113),
            (242, 98), (105, 96), (112, 92), (121, 92), (131, 93), (141, 95), (164, 92), (175, 89),
            (188, 87), (202, 86), (215, 89), (151, 104), (150, 111), (149, 118), (148, 126), (137, 133),
            (143, 134), (150, 135), (157, 134), (165, 131), (114, 108), (120, 104), (128, 103), (136, 106),
            (128, 109), (120, 110), (174, 104), (180, 99), (190, 98), (199, 101), (191, 105), (181, 105),
            (130, 152), (137, 149), (144, 147), (149, 148), (154, 146), (164, 147), (175, 148), (165, 154),
            (156, 157), (151, 158), (146, 158), (139, 157), (134, 152), (144, 151), (150, 150), (155, 149),
            (170, 148), (156, 151), (151, 152), (145, 152),
    ]

    /// dlib's points on the sample photo obama.jpg (910×1137, PIL's RGB decode) in the box (350, 150)–(650, 450).
    static let obamaPoints: [(Int, Int)] = [
            (370, 222), (374, 256), (380, 289), (386, 323), (397, 354), (415, 383), (438, 406), (465, 423),
            (496, 427), (528, 420), (553, 400), (575, 375), (592, 347), (602, 317), (608, 286), (611, 254),
            (613, 222), (399, 208), (412, 191), (434, 184), (457, 184), (479, 190), (513, 190), (535, 182),
            (559, 182), (581, 192), (594, 210), (496, 210), (496, 231), (496, 252), (496, 274), (464, 286),
            (479, 289), (495, 293), (511, 288), (526, 284), (424, 217), (437, 211), (450, 210), (464, 217),
            (450, 218), (437, 219), (528, 215), (542, 208), (555, 209), (569, 217), (555, 217), (541, 216),
            (434, 323), (453, 314), (476, 311), (495, 314), (513, 310), (536, 311), (555, 318), (537, 344),
            (514, 357), (495, 360), (476, 358), (452, 347), (439, 324), (476, 319), (495, 321), (513, 318),
            (549, 320), (513, 341), (495, 345), (476, 342),
    ]

    @Test(
        "68 points on the formula image equal dlib's",
        .enabled(
            if: TestEnvironment.model("shape_predictor_68_face_landmarks.dat") != nil,
            Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func formulaImageShape() throws {
        let predictor = try #require(Self.predictor)
        #expect(predictor.partCount == 68)
        let shape = predictor.shape(in: formulaImage(width: 320, height: 240), face: FaceRect(left: 80, top: 60, right: 239, bottom: 179))
        #expect(shape.points == Self.formulaPoints.map { LandmarkPoint(x: $0.0, y: $0.1) })
    }

    @Test(
        "68 points on a sample photo equal dlib's",
        .enabled(
            if: TestEnvironment.model("shape_predictor_68_face_landmarks.dat") != nil
                && TestEnvironment.sample("obama.jpg") != nil,
            Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func samplePhotoShape() throws {
        let predictor = try #require(Self.predictor)
        let bytes = try [UInt8](Data(contentsOf: #require(TestEnvironment.sample("obama.jpg"))))
        let image = try ImageDecoder.decode(bytes, options: DecodeOptions(applyOrientation: false))
        let shape = predictor.shape(in: image, face: FaceRect(left: 350, top: 150, right: 650, bottom: 450))
        #expect(shape.points == Self.obamaPoints.map { LandmarkPoint(x: $0.0, y: $0.1) })
    }

    @Test(
        "the store loads each predictor by kind and refuses a file with the other point count",
        .enabled(
            if: TestEnvironment.model("shape_predictor_68_face_landmarks.dat") != nil
                && TestEnvironment.model("shape_predictor_5_face_landmarks.dat") != nil,
            Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func loadByKind() throws {
        let store = ModelStore(directory: TestEnvironment.modelsDirectory)
        let cache = ModelCache(directory: SharedPredictor.cacheDirectory)
        #expect(try ShapePredictor(store: store, cache: cache, model: .sixtyEightPoint).partCount == 68)
        #expect(try ShapePredictor(store: store, cache: cache, model: .fivePoint).partCount == 5)
        // A folder whose "68-point" file is really the 5-point one: a typed refusal, not a wrong shape.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-sp68-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            at: TestEnvironment.modelsDirectory.appendingPathComponent(ModelStore.shapePredictor5),
            to: dir.appendingPathComponent(ModelStore.shapePredictor68))
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(store: ModelStore(directory: dir), cache: cache, model: .sixtyEightPoint)
        }
    }

    @Test("a shape holds exactly 68 points; other counts are a typed error")
    func shapeCount() throws {
        let points = (0..<68).map { LandmarkPoint(x: $0, y: 2 * $0) }
        let shape = try FaceShape(points)
        #expect(shape[30] == LandmarkPoint(x: 30, y: 60))
        #expect(try JSONDecoder().decode(FaceShape.self, from: JSONEncoder().encode(shape)) == shape)
        #expect(throws: AlignmentError.wrongLandmarkCount(5)) { try FaceShape(Array(points.prefix(5))) }
    }
}
