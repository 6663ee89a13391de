import Foundation

/// The reception kiosk page `mynaface serve --kiosk DIR` serves at `/kiosk/` (the repository's `Kiosk/` folder).
///
/// A demo of the reader's screens: the "card" is a portrait the server was started with, and the PIN a demo PIN read
/// from a file. The files are read once at start and served from memory; only the names in ``files`` are served.
public struct KioskConfiguration: Sendable {
    /// The page's files by name (`index.html`, `kiosk.js`, `kiosk.css`).
    public var files: [String: [UInt8]]
    /// The portrait the "place the card" button enrols (the card's face image), if any.
    public var portrait: [UInt8]?
    /// The demo PIN the PIN pad is checked against (4 digits), if any. Never logged.
    public var pin: String?
    /// Wrong PINs one visit (one template) may enter before the page sends the patient to the counter.
    public var pinTries = 3

    /// The names served.
    public static let fileNames = ["index.html", "kiosk.js", "kiosk.css"]

    /// Reads the page's files from `folder`.
    /// - Throws: the file system's error for a missing file.
    public init(folder: URL, portrait: [UInt8]? = nil, pin: String? = nil) throws {
        var files: [String: [UInt8]] = [:]
        for name in Self.fileNames {
            files[name] = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        self.files = files
        self.portrait = portrait
        self.pin = pin
    }

    /// The content type of a served name.
    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        return "application/octet-stream"
    }
}
