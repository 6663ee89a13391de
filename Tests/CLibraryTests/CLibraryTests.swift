import Foundation
import TestSupport
import Testing

/// The C interface as an integrator uses it: `Scripts/install-clib.sh` installs the library built beside the tests
/// into a temporary prefix, `cc $(pkg-config --cflags --libs mynaface)` compiles `examples/c/verify.c` and the
/// contract checks, and the Python `ctypes` example runs against the installed library.
@Suite("C interface (libmynaface)", .serialized)
struct CLibraryTests {
    /// `libmynaface-c.so` of this build (beside the test bundle), or nil.
    static let builtLibrary: URL? = {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("libmynaface-c.so")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }()

    static let ready =
        builtLibrary != nil && TestEnvironment.sample("obama.jpg") != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    /// The prefix the library is installed into once for the suite, and the compiled programs.
    static let installed: Result<(prefix: URL, verify: URL, checks: URL), InstallFailure> = install()

    struct InstallFailure: Error, CustomStringConvertible { var description: String }

    static func shell(_ script: String, environment: [String: String] = [:]) throws -> ProcessRunner.Output {
        try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script], environment: environment)
    }

    static func install() -> Result<(prefix: URL, verify: URL, checks: URL), InstallFailure> {
        guard let lib = builtLibrary else { return .failure(InstallFailure(description: "library not built")) }
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-clib-\(UUID())")
        let root = TestEnvironment.repositoryRoot.path
        let script = """
            set -e
            cd '\(root)'
            bash Scripts/install-clib.sh '\(prefix.path)'
            export PKG_CONFIG_PATH='\(prefix.path)/lib/pkgconfig'
            cc -std=c99 -Wall -Wextra -Werror -o '\(prefix.path)/verify' examples/c/verify.c $(pkg-config --cflags --libs mynaface)
            cc -std=c99 -Wall -Werror -o '\(prefix.path)/abi_checks' Tests/CLibraryTests/C/abi_checks.c \
               $(pkg-config --cflags --libs mynaface) -lpthread
            """
        do {
            let out = try shell(script, environment: ["MYNAFACE_CLIB_BUILT": lib.path])
            guard out.status == 0 else {
                return .failure(InstallFailure(description: "install/compile failed: \(out.stdout)\(out.stderr)"))
            }
        } catch {
            return .failure(InstallFailure(description: "\(error)"))
        }
        return .success((prefix, prefix.appendingPathComponent("verify"), prefix.appendingPathComponent("abi_checks")))
    }

    func sample(_ name: String) throws -> String { try #require(TestEnvironment.sample(name)).path }

    func verifyProgram(_ args: [String]) throws -> ProcessRunner.Output {
        let programs = try Self.installed.get()
        return try ProcessRunner.run(programs.verify, ["--models", TestEnvironment.modelsDirectory.path] + args)
    }

    @Test(
        "install-clib.sh installs libmynaface.so, mynaface.h and a mynaface.pc that pkg-config reads",
        .enabled(if: ready))
    func installLayout() throws {
        let prefix = try Self.installed.get().prefix
        for file in ["lib/libmynaface.so", "include/mynaface.h", "lib/pkgconfig/mynaface.pc"] {
            #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), "\(file)")
        }
        let out = try Self.shell("PKG_CONFIG_PATH='\(prefix.path)/lib/pkgconfig' pkg-config --cflags --libs mynaface")
        #expect(out.status == 0)
        #expect(
            out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "-I\(prefix.path)/include -L\(prefix.path)/lib -Wl,-rpath,\(prefix.path)/lib -lmynaface")
    }

    @Test(
        "the C example: obama2 + obama3 against obama is one fused attempt that matches (exit 0)", .enabled(if: ready))
    func genuineAttempt() throws {
        let out = try verifyProgram([try sample("obama.jpg"), try sample("obama2.jpg"), try sample("obama3.jpg")])
        #expect(out.status == 0, "\(out.stdout) \(out.stderr)")
        #expect(out.stdout.hasPrefix("match similarity "))
        #expect(out.stdout.hasSuffix("frames fused 2\n"))
    }

    @Test(
        "the C example: biden against obama does not match (exit 1); obama2 alone is refused at the strict default",
        .enabled(if: ready))
    func impostorAndSingleFrame() throws {
        let impostor = try verifyProgram([try sample("obama.jpg"), try sample("biden.jpg")])
        #expect(impostor.status == 1, "\(impostor.stdout) \(impostor.stderr)")
        #expect(impostor.stdout.hasPrefix("no match similarity "))
        let single = try verifyProgram([try sample("obama.jpg"), try sample("obama2.jpg")])
        #expect(single.status == 1, "\(single.stdout)")
    }

    @Test(
        "the C example: a truncated JPEG is the typed error MYNAFACE_ERR_IMAGE_TRUNCATED (exit 3)", .enabled(if: ready))
    func truncatedJPEG() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try sample("obama2.jpg")))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-cut-\(UUID()).jpg")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let out = try verifyProgram([try sample("obama.jpg"), cut.path])
        #expect(out.status == 3)
        #expect(out.stdout.hasPrefix("error 7 (MYNAFACE_ERR_IMAGE_TRUNCATED): "), "\(out.stdout)")
    }

    @Test("the C example: a models folder without the models is MYNAFACE_ERR_MODELS (exit 4)", .enabled(if: ready))
    func missingModels() throws {
        let programs = try Self.installed.get()
        let out = try ProcessRunner.run(
            programs.verify,
            [
                "--models", "/nonexistent", try sample("obama.jpg"),
                try sample("obama2.jpg"),
            ])
        #expect(out.status == 4)
        #expect(out.stdout.hasPrefix("error 2 (MYNAFACE_ERR_MODELS): "))
    }

    @Test(
        "the contract: NULLs, absurd sizes, raw pixels with stride, damaged templates, threads and wipes",
        .enabled(if: ready))
    func contractChecks() throws {
        let programs = try Self.installed.get()
        let dir = programs.prefix
        var ppm: [String] = []
        for name in ["obama2", "obama3", "biden"] {
            let path = dir.appendingPathComponent("\(name).ppm").path
            let out = try Self.shell("djpeg -pnm '\(try sample("\(name).jpg"))' > '\(path)'")
            #expect(out.status == 0, "djpeg (libjpeg-turbo-progs): \(out.stderr)")
            ppm.append(path)
        }
        let out = try ProcessRunner.run(
            programs.checks, [TestEnvironment.modelsDirectory.path, try sample("obama.jpg")] + ppm)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.hasSuffix("failed: 0\n"), "\(out.stdout)")
    }

    @Test("the Python ctypes example against the installed library: match, no match, typed error", .enabled(if: ready))
    func pythonExample() throws {
        let lib = try Self.installed.get().prefix.appendingPathComponent("lib/libmynaface.so").path
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("examples/python/verify.py").path
        func run(_ args: [String]) throws -> (Int32, [String: Any]) {
            let out = try ProcessRunner.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", script, "--lib", lib, "--models", TestEnvironment.modelsDirectory.path]
                    + args)
            let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
            return (out.status, try #require(json, "\(out.stdout)\(out.stderr)"))
        }
        let (genuineStatus, genuine) = try run([
            try sample("obama.jpg"), try sample("obama2.jpg"), try sample("obama3.jpg"),
        ])
        #expect(genuineStatus == 0)
        #expect(genuine["decision"] as? String == "match" && genuine["framesFused"] as? Int == 2)
        let (impostorStatus, impostor) = try run([try sample("obama.jpg"), try sample("biden.jpg")])
        #expect(impostorStatus == 1)
        #expect(impostor["decision"] as? String == "noMatch")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try sample("biden.jpg")))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-cut-\(UUID()).jpg")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let (errorStatus, error) = try run([try sample("obama.jpg"), cut.path])
        #expect(errorStatus == 3)
        #expect(error["error"] as? String == "MYNAFACE_ERR_IMAGE_TRUNCATED" && error["code"] as? Int == 7)
    }
}
