import FaceImaging
import Foundation
import TestSupport

/// Shared helpers of the codec tests: fixtures, the synthetic pattern, Debian's reference tools, PNM.
enum CodecFixtures {
    static var directory: URL { TestEnvironment.fixtures.appendingPathComponent("codecs") }

    /// Every codec fixture by file name (the generator is Scripts/make-fixtures-codecs.sh).
    static let all = [
        "rgb-baseline.jpg", "rgb-progressive.jpg", "grey.jpg", "cmyk-adobe.jpg", "ycck-adobe.jpg",
        "orientation-1.jpg", "orientation-2.jpg", "orientation-3.jpg", "orientation-4.jpg",
        "orientation-5.jpg", "orientation-6.jpg", "orientation-7.jpg", "orientation-8.jpg",
        "grey.jp2", "rgb.jp2", "grey.j2k", "rgb.j2k", "portrait-240x320.jp2",
        "grey.png", "rgb.png", "rgba.png", "grey-alpha.png", "grey16.png", "palette.png",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    // The synthetic pattern of make-fixtures-codecs.py (W = 96, H = 64).
    static let width = 96, height = 64
    static func rgb(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        (UInt8((x + 2 * y) & 255), UInt8(((3 * x) ^ y) & 255), UInt8(((x * y) >> 4) & 255))
    }
    static func grey(_ x: Int, _ y: Int) -> UInt8 { UInt8((x * 255 / (width - 1) + y * 2) & 255) }

    static var patternRGB: Image {
        var px: [UInt8] = []
        px.reserveCapacity(width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let p = rgb(x, y)
                px += [p.0, p.1, p.2]
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: px)
    }

    static var patternGrey: Image {
        var px: [UInt8] = []
        for y in 0..<height { for x in 0..<width { px.append(grey(x, y)) } }
        return Image(width: width, height: height, channels: 1, pixels: px)
    }
}

/// Runs Debian's reference decoders (djpeg, opj_decompress) and reads their PNM output.
enum ReferenceTools {
    static func available(_ tool: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/\(tool)")
    }

    /// Runs `/usr/bin/<tool> args`; returns its exit status.
    @discardableResult
    static func run(_ tool: String, _ args: [String], stdout: URL? = nil) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = args
        process.standardError = FileHandle.nullDevice
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-codecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `djpeg -pnm [-scale 1/n]` of a fixture, parsed.
    static func djpeg(_ name: String, scale: Int = 1) throws -> Image? {
        try djpeg(path: CodecFixtures.path(name), scale: scale)
    }

    /// `djpeg -pnm [-scale 1/n]` of any JPEG file, parsed.
    static func djpeg(path: String, scale: Int = 1) throws -> Image? {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.pnm")
        var args = ["-pnm"]
        if scale != 1 { args += ["-scale", "1/\(scale)"] }
        guard try run("djpeg", args + [path], stdout: out) == 0 else { return nil }
        return PNM.parse([UInt8](try Data(contentsOf: out)))
    }

    /// `opj_decompress -i f -o out.pgm|ppm [-r reduce]` of a fixture, parsed.
    static func opjDecompress(_ name: String, channels: Int, reduce: Int = 0) throws -> Image? {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(channels == 1 ? "out.pgm" : "out.ppm")
        var args = ["-i", CodecFixtures.path(name), "-o", out.path]
        if reduce > 0 { args += ["-r", "\(reduce)"] }
        guard try run("opj_decompress", args) == 0 else { return nil }
        return PNM.parse([UInt8](try Data(contentsOf: out)))
    }
}

/// A minimal binary PNM (P5/P6, maxval 255) reader for the reference tools' output.
enum PNM {
    static func parse(_ b: [UInt8]) -> Image? {
        var at = 0
        func token() -> String? {
            while at < b.count {
                if b[at] == UInt8(ascii: "#") {
                    while at < b.count && b[at] != 10 { at += 1 }
                } else if b[at] == 32 || b[at] == 10 || b[at] == 13 || b[at] == 9 {
                    at += 1
                } else {
                    break
                }
            }
            var s = ""
            while at < b.count, !(b[at] == 32 || b[at] == 10 || b[at] == 13 || b[at] == 9) {
                s.append(Character(UnicodeScalar(b[at])))
                at += 1
            }
            return s.isEmpty ? nil : s
        }
        guard let magic = token(), magic == "P5" || magic == "P6",
            let w = token().flatMap({ Int($0) }), let h = token().flatMap({ Int($0) }),
            let maxval = token().flatMap({ Int($0) }), maxval == 255
        else { return nil }
        at += 1  // the single whitespace after maxval
        let c = magic == "P5" ? 1 : 3
        guard b.count - at >= w * h * c else { return nil }
        return Image(width: w, height: h, channels: c, pixels: Array(b[at..<(at + w * h * c)]))
    }
}

/// Largest absolute sample difference of two same-shaped images (Int.max when shapes differ).
func maxDifference(_ a: Image, _ b: Image) -> Int {
    guard a.width == b.width, a.height == b.height, a.channels == b.channels else { return .max }
    var m = 0
    for i in 0..<a.pixels.count { m = max(m, abs(Int(a.pixels[i]) - Int(b.pixels[i]))) }
    return m
}
