import Foundation
import NeuralCore
import Testing

@Suite("cache folders")
struct MynaFacePathsTests {
    @Test("HOME from the environment, not the account database")
    func homeFromEnvironment() {
        let p = MynaFacePaths(environment: ["HOME": "/some/dir"])
        #expect(p.cacheRoot.path == "/some/dir/.cache/mynaface")
        #expect(p.models.path == "/some/dir/.cache/mynaface/models")
        #expect(p.samples.path == "/some/dir/.cache/mynaface/samples")
        #expect(p.compiled.path == "/some/dir/.cache/mynaface/compiled")
        #expect(p.templates.path == "/some/dir/.cache/mynaface/templates")
    }

    @Test("XDG_CACHE_HOME wins over HOME; the MYNAFACE_* variables win over both")
    func precedence() {
        let xdg = MynaFacePaths(environment: ["HOME": "/h", "XDG_CACHE_HOME": "/x"])
        #expect(xdg.models.path == "/x/mynaface/models" && xdg.templates.path == "/x/mynaface/templates")
        let own = MynaFacePaths(environment: [
            "HOME": "/h", "XDG_CACHE_HOME": "/x", "MYNAFACE_MODELS": "/m",
            "MYNAFACE_SAMPLES": "/s", "MYNAFACE_CACHE": "/c",
        ])
        #expect(own.models.path == "/m" && own.samples.path == "/s" && own.compiled.path == "/c")
        #expect(own.templates.path == "/x/mynaface/templates")
        let empty = MynaFacePaths(environment: ["HOME": "/h", "XDG_CACHE_HOME": "", "MYNAFACE_MODELS": ""])
        #expect(empty.models.path == "/h/.cache/mynaface/models")
    }

    @Test("the scripts resolve the same folders (Scripts/paths.sh)")
    func scriptsAgree() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for env in [["HOME": "/h"], ["HOME": "/h", "XDG_CACHE_HOME": "/x"], ["HOME": "/h", "MYNAFACE_MODELS": "/m"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", ". Scripts/paths.sh && echo \"$mynaface_models|$mynaface_samples\""]
            process.currentDirectoryURL = root
            process.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            process.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let p = MynaFacePaths(environment: env)
            #expect(out == "\(p.models.path)|\(p.samples.path)\n")
        }
    }
}
