import Foundation

/// The folders MynaFace reads and writes outside the repository, resolved from the environment exactly as
/// the scripts resolve them (`Scripts/paths.sh`):
///
/// | folder | variable | default |
/// |---|---|---|
/// | cache root | `XDG_CACHE_HOME` | `$XDG_CACHE_HOME/mynaface`, else `$HOME/.cache/mynaface` |
/// | models | `MYNAFACE_MODELS` | `<cache root>/models` |
/// | sample photos | `MYNAFACE_SAMPLES` | `<cache root>/samples` |
/// | compiled model caches | `MYNAFACE_CACHE` | `<cache root>/compiled` |
/// | evaluation templates | — | `<cache root>/templates` |
///
/// `$HOME` is read from the environment (not the account database), so `HOME=/some/dir` finds what
/// `HOME=/some/dir Scripts/setup.sh` fetched. Only when neither `XDG_CACHE_HOME` nor `HOME` is set does it
/// fall back to the account's home folder.
public struct MynaFacePaths: Sendable, Equatable {
    /// The cache root (`…/mynaface`).
    public let cacheRoot: URL
    /// The dlib model files.
    public let models: URL
    /// The face_recognition sample photos.
    public let samples: URL
    /// Compiled model caches (the ResNet's and the shape predictor's packed weights).
    public let compiled: URL
    /// The evaluation's template cache.
    public let templates: URL

    /// Resolves every folder from `environment` (default: this process's environment).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let root: URL
        if let xdg = value("XDG_CACHE_HOME") {
            root = URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("mynaface", isDirectory: true)
        } else {
            let home =
                value("HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            root = home.appendingPathComponent(".cache/mynaface", isDirectory: true)
        }
        func folder(_ variable: String, _ name: String) -> URL {
            value(variable).map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? root.appendingPathComponent(name, isDirectory: true)
        }
        cacheRoot = root
        models = folder("MYNAFACE_MODELS", "models")
        samples = folder("MYNAFACE_SAMPLES", "samples")
        compiled = folder("MYNAFACE_CACHE", "compiled")
        templates = root.appendingPathComponent("templates", isDirectory: true)
    }

    /// The paths of this process's environment.
    public static var current: MynaFacePaths { MynaFacePaths() }
}
