import FaceImaging

/// One detected face.
package struct Detection: Sendable, Equatable {
    /// The box in image pixels (inclusive corners, as dlib's `rectangle`; may extend past the image).
    package var box: PixelRect
    /// The detector's confidence (the MMOD score; > 0 for every reported face, higher is surer).
    package var score: Double
    /// The pyramid level it was found at (0 = full resolution; box width ≈ 80·1.2^level px).
    package var level: Int
}

/// Wall-clock time spent, in milliseconds.
package struct DetectionTiming: Sendable, Equatable {
    /// Building the tiled pyramid.
    package var pyramidMilliseconds: Double
    /// Running the network.
    package var networkMilliseconds: Double
    /// Everything, including box mapping and non-maximum suppression.
    package var totalMilliseconds: Double
}

/// What ``FaceDetector/detect(in:options:)`` found.
package struct DetectionResult: Sendable, Equatable {
    /// Faces after non-maximum suppression, highest score first.
    package var faces: [Detection]
    /// The pyramid levels searched (nil when none could hold a face of the minimum size).
    package var levelsUsed: ClosedRange<Int>?
    /// Levels in dlib's full pyramid for this image size.
    package var levelCount: Int
    /// The minimum face size searched, in pixels (box width).
    package var minimumFaceSize: Int
    /// Image width and height (pixels).
    package var imageWidth: Int, imageHeight: Int
    /// Multiply-adds the network performed.
    package var multiplyAdds: Int
    /// Time spent.
    package var timing: DetectionTiming
}
