/// The face a reader should check, and anyone else clearly in the frame.
package struct FaceSelection: Sendable, Equatable {
    /// The largest face (by box area; the higher score breaks ties).
    package var primary: Detection
    /// Other faces whose box width is at least `secondFaceFraction` of the primary's, largest first
    /// (someone standing behind or beside the person at the counter).
    package var otherFaces: [Detection]

    /// True when someone else is clearly in the frame.
    package var hasSecondFace: Bool { !otherFaces.isEmpty }
}

extension DetectionResult {
    /// Picks the face to check: the largest one, reporting others larger than a fraction of it.
    ///
    /// - Parameter secondFaceFraction: a second face is reported when its box width is at least this fraction
    ///   (0…1, default 0.5) of the largest face's width.
    /// - Returns: the largest face and the competing ones.
    /// - Throws: ``FaceAcquisitionError/noFace(imageWidth:imageHeight:minimumFaceSize:levels:)`` when nothing was found.
    package func selectFace(secondFaceFraction: Double = 0.5) throws(FaceAcquisitionError) -> FaceSelection {
        let ordered = faces.sorted { a, b in
            a.box.area != b.box.area ? a.box.area > b.box.area : a.score > b.score
        }
        guard let primary = ordered.first else {
            throw .noFace(
                imageWidth: imageWidth, imageHeight: imageHeight, minimumFaceSize: minimumFaceSize, levels: levelsUsed)
        }
        let fraction = secondFaceFraction.isFinite ? min(max(secondFaceFraction, 0), 1) : 0.5
        let others = ordered.dropFirst().filter { Double($0.box.width) >= fraction * Double(primary.box.width) }
        return FaceSelection(primary: primary, otherFaces: Array(others))
    }
}
