import Foundation
import MynaFaceService
import TestSupport
import Testing

/// The kiosk page's settings, without a server.
@Suite("KioskConfiguration")
struct KioskConfigurationTests {
    static let folder = TestEnvironment.repositoryRoot.appendingPathComponent("Kiosk")

    @Test("reads the three page files; the demo PIN must be four digits")
    func pageAndPin() throws {
        let kiosk = try KioskConfiguration(folder: Self.folder, pin: "4321")
        #expect(Set(kiosk.files.keys) == ["index.html", "kiosk.js", "kiosk.css"])
        var c = ServiceConfiguration()
        c.kiosk = kiosk
        try c.validate()
        for bad in ["12a4", "123", "12345", "１２３４"] {
            c.kiosk?.pin = bad
            #expect(throws: ServiceConfigurationError.invalidLimit("the kiosk PIN must be four digits")) {
                try c.validate()
            }
        }
        #expect(throws: (any Error).self) {
            try KioskConfiguration(folder: Self.folder.appendingPathComponent("missing"))
        }
    }

    @Test("every text is bilingual (Japanese, then English); the script neither logs nor stores")
    func bilingual() throws {
        let kiosk = try KioskConfiguration(folder: Self.folder)
        let html = String(decoding: try #require(kiosk.files["index.html"]), as: UTF8.self)
        let script = String(decoding: try #require(kiosk.files["kiosk.js"]), as: UTF8.self)
        let ja = html.components(separatedBy: "<span class=\"ja\">").count - 1
        let en = html.components(separatedBy: "<span class=\"en\">").count - 1
        #expect(ja >= 15 && ja == en)
        // The page never logs or stores anything (frames, scores, PINs).
        for word in ["console.", "localStorage", "sessionStorage", "indexedDB", "document.cookie"] {
            #expect(!script.contains(word) && !html.contains(word), "\(word)")
        }
    }
}
