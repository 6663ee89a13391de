import Foundation

/// A model file that could not be found or read.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not in the models folder.
    case missing(name: String, directory: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let name, let directory):
            return
                "model file '\(name)' is missing from \(directory): run Scripts/setup.sh with the same HOME / XDG_CACHE_HOME (or set MYNAFACE_MODELS to the folder holding it)"
        case .unreadable(let path, let reason):
            return "model file \(path) could not be read: \(reason)"
        }
    }
}

/// Locates the dlib model files: ``MynaFacePaths/models`` by default (`$MYNAFACE_MODELS`, else
/// `$XDG_CACHE_HOME/mynaface/models` or `$HOME/.cache/mynaface/models`, where `Scripts/fetch-models.sh` puts them).
public struct ModelStore: Sendable, Equatable {
    /// The face-recognition ResNet.
    public static let faceRecognitionResNet = "dlib_face_recognition_resnet_model_v1.dat"
    /// The MMOD CNN face detector.
    public static let mmodFaceDetector = "mmod_human_face_detector.dat"
    /// The 5-point shape predictor.
    public static let shapePredictor5 = "shape_predictor_5_face_landmarks.dat"
    /// The 68-point shape predictor (iBUG 300-W points: jaw, brows, nose, eyes, lips).
    public static let shapePredictor68 = "shape_predictor_68_face_landmarks.dat"

    /// The folder searched.
    public let directory: URL

    /// A store over an explicit folder.
    public init(directory: URL) { self.directory = directory }

    /// The default store, ``MynaFacePaths/models`` of this process's environment.
    public init() { directory = MynaFacePaths.current.models }

    /// The URL of `name` in the store.
    /// - Throws: ``ModelFileError/missing(name:directory:)`` (naming the fix) when absent.
    public func url(for name: String) throws(ModelFileError) -> URL {
        let url = directory.appendingPathComponent(name)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
            throw .missing(name: name, directory: directory.path)
        }
        return url
    }

    /// The pinned SHA-256 (lower-case hex) of a model file from a `Models/manifest.tsv` text, or nil.
    /// The manifest's rows are tab-separated `kind package version member sha256`; the member's last path
    /// component is matched against `name`.
    public static func manifestSHA256(for name: String, manifest: String) -> String? {
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let cols = line.split(separator: "\t")
            guard cols.count >= 5, cols[3].split(separator: "/").last.map(String.init) == name else { continue }
            return String(cols[4]).lowercased()
        }
        return nil
    }
}
