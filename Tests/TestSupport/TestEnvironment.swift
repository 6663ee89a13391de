import Foundation
import NeuralCore

/// Where the tests find what the project fetches or generates, and the optional shared evaluation data.
///
/// - Models and sample photos (face_recognition 1.3.0 test images): where `Scripts/fetch-models.sh` puts them,
///   ``NeuralCore/MynaFacePaths`` (`$MYNAFACE_MODELS`, `$MYNAFACE_SAMPLES`, else under `$XDG_CACHE_HOME` or `$HOME`).
/// - Shared face photos and dlib reference values: `../shared` next to the checkout (`$MYNAFACE_SHARED` overrides).
///   Tests that need them skip with a message when absent.
public enum TestEnvironment {
    /// The repository root (the folder holding `Package.swift`).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/TestEnvironment.swift
        return url
    }()

    /// `Fixtures/` in the repository (small generated files, committed).
    public static var fixtures: URL { repositoryRoot.appendingPathComponent("Fixtures") }

    /// The model cache folder (``NeuralCore/MynaFacePaths/models``).
    public static var modelsDirectory: URL { MynaFacePaths.current.models }

    /// The sample-photo cache folder (``NeuralCore/MynaFacePaths/samples``).
    public static var samplesDirectory: URL { MynaFacePaths.current.samples }

    /// `../shared` beside the checkout, or nil when it is absent.
    public static var sharedDirectory: URL? {
        let candidate: URL
        if let env = ProcessInfo.processInfo.environment["MYNAFACE_SHARED"], !env.isEmpty {
            candidate = URL(fileURLWithPath: env)
        } else {
            candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        }
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir) && isDir.boolValue
            ? candidate : nil
    }

    /// `../shared/facedata`, or nil when absent.
    public static var faceData: URL? {
        sharedDirectory.map { $0.appendingPathComponent("facedata") }.flatMap(existing)
    }

    /// `../shared/reference/dlib/golden`, or nil when absent.
    public static var dlibGolden: URL? {
        sharedDirectory.map { $0.appendingPathComponent("reference/dlib/golden") }.flatMap(existing)
    }

    /// The path of a model file in the cache, or nil when it has not been fetched.
    public static func model(_ name: String) -> URL? {
        existing(modelsDirectory.appendingPathComponent(name))
    }

    /// The path of a sample photo (`obama.jpg`, `obama2.jpg`, `obama3.jpg`, `biden.jpg`), or nil.
    public static func sample(_ name: String) -> URL? {
        existing(samplesDirectory.appendingPathComponent(name))
    }

    /// The generated random-weight embedding model (`Scripts/make-test-embedding-model.py`): `$MYNAFACE_TEST_MODEL`
    /// (set by Scripts/test.sh after generating it), else `<cache root>/test-models/test-arcface-random`, or nil when
    /// neither holds a `manifest.json`.
    public static var testEmbeddingModel: URL? {
        let candidate: URL
        if let env = ProcessInfo.processInfo.environment["MYNAFACE_TEST_MODEL"], !env.isEmpty {
            candidate = URL(fileURLWithPath: env, isDirectory: true)
        } else {
            candidate = MynaFacePaths.current.cacheRoot.appendingPathComponent("test-models/test-arcface-random")
        }
        return existing(candidate.appendingPathComponent("manifest.json")).map { _ in candidate }
    }

    /// Message for a test skipped because the generated embedding model is absent.
    public static let testModelAbsentMessage =
        "generated test model absent: run Scripts/make-test-embedding-model.py (needs numpy, onnx)"

    /// Message for a test skipped because `../shared` is absent.
    public static let sharedAbsentMessage =
        "../shared is absent: this case needs the shared face photos or dlib reference values"

    /// Message for a test skipped because the models were not fetched.
    public static let modelsAbsentMessage =
        "models not fetched: run Scripts/fetch-models.sh (or set MYNAFACE_MODELS)"

    private static func existing(_ url: URL) -> URL? {
        FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
