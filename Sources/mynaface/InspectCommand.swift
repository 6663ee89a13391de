import ArgumentParser
import FaceImaging
import Foundation
import MynaCard

/// `mynaface inspect FILE [--json] [--extract-portrait OUT.png]`: recognise a portrait input by content, print
/// its container tree, codec, dimensions and colour space; optionally decode the portrait and save it as PNG.
///
/// Personal values (birth date, sex) are never printed; images are only described.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a card-face file, certificate, DG2 or image (recognised by content).",
        discussion: """
            Prints the container tree (tags, offsets, lengths), the portrait's codec, dimensions and colour space.
            With --json prints one JSON object; "format", "width", "height" and "channels" describe the portrait.
            A rejected input exits with status 1 and a one-line error on stderr.
            """)

    @Argument(help: "The file to inspect.")
    var file: String

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(name: .customLong("extract-portrait"), help: "Decode the portrait and write it as PNG to this path.")
    var extractPortrait: String?

    @Option(name: .customLong("face"), help: "Which face of a DG2 holding several (0-based).")
    var faceIndex = 0

    /// The JSON document (also the shape of the text output).
    struct Report: Codable {
        struct Portrait: Codable {
            var format: String
            var width: Int
            var height: Int
            var channels: Int
            var colourSpace: String
            var containerPath: String
            var compressedBytes: Int
            var declaredWidth: Int?
            var declaredHeight: Int?
            var declaredColourSpace: String?
        }
        var file: String
        var kind: String
        var byteCount: Int
        var tree: [ContainerNode]
        var faceCount: Int
        var portrait: Portrait?
        // Flat copies of the portrait's description, for simple consumers.
        var format: String?
        var width: Int?
        var height: Int?
        var channels: Int?
        var extractedTo: String?
    }

    /// A rejected input: its description is the one line printed on stderr.
    struct InspectError: Error, CustomStringConvertible {
        var description: String
    }

    func run() throws {
        do {
            let report = try makeReport()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(report)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(text(report), terminator: "")
            }
        } catch let error as InspectError {
            FileHandle.standardError.write(Data("mynaface inspect: \(error.description)\n".utf8))
            throw ExitStatus.failure.exitCode
        }
    }

    private func makeReport() throws -> Report {
        let bytes: [UInt8]
        do {
            let url = URL(fileURLWithPath: file)
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            let limit = ContainerLimits.default.tlv.maxInputBytes
            guard size <= limit else {
                throw InspectError(description: "\(file): \(size) bytes, above the \(limit)-byte limit")
            }
            bytes = [UInt8](try Data(contentsOf: url))
        } catch let error as InspectError {
            throw error
        } catch {
            throw InspectError(description: "\(file): cannot read the file (\(error.localizedDescription))")
        }
        let description: ContainerDescription
        do { description = try PortraitContainer.parse(bytes) } catch {
            throw InspectError(description: "\(file): \(error.description)")
        }
        var report = Report(
            file: file, kind: description.kind.rawValue, byteCount: bytes.count, tree: description.nodes,
            faceCount: description.portraits.count)
        guard !description.portraits.isEmpty else {
            if extractPortrait != nil {
                throw InspectError(
                    description: "\(file): the input is a \(description.kind.rawValue), which holds no portrait")
            }
            return report
        }
        let image: Image
        let info: PortraitInfo
        do {
            (image, info) = try PortraitContainer.extractPortrait(bytes, options: PortraitOptions(faceIndex: faceIndex))
        } catch {
            throw InspectError(description: "\(file): \(error.description)")
        }
        let location = description.portraits[min(max(faceIndex, 0), description.portraits.count - 1)]
        let portrait = Report.Portrait(
            format: info.format, width: info.width, height: info.height, channels: info.channels,
            colourSpace: info.channels == 1 ? "greyscale" : "RGB", containerPath: info.containerPath,
            compressedBytes: info.compressedBytes, declaredWidth: location.declaredWidth,
            declaredHeight: location.declaredHeight, declaredColourSpace: location.declaredColourSpace)
        report.portrait = portrait
        report.format = info.format
        report.width = info.width
        report.height = info.height
        report.channels = info.channels
        if let out = extractPortrait {
            let png: [UInt8]
            do { png = try PNGEncoder.encode(image) } catch {
                throw InspectError(description: "\(file): PNG encoding failed: \(error.description)")
            }
            do { try Data(png).write(to: URL(fileURLWithPath: out)) } catch {
                throw InspectError(description: "\(out): cannot write the portrait (\(error.localizedDescription))")
            }
            report.extractedTo = out
        }
        return report
    }

    private func text(_ r: Report) -> String {
        var out = "\(r.file): \(r.kind), \(r.byteCount) bytes\n"
        func line(_ n: ContainerNode, _ indent: Int) {
            var s = String(repeating: "  ", count: indent) + n.name
            if let m = n.meaning { s += "  \(m)" }
            s += "  @\(n.offset), \(n.length) bytes"
            if let v = n.valueLength, v != n.length { s += " (value \(v))" }
            if let d = n.detail { s += "  — \(d)" }
            out += s + "\n"
            for c in n.children { line(c, indent + 1) }
        }
        for n in r.tree { line(n, 1) }
        if let p = r.portrait {
            out += "portrait: \(p.containerPath.isEmpty ? "(whole file)" : p.containerPath)\n"
            out += "  codec: \(p.format), \(p.compressedBytes) bytes\n"
            out +=
                "  dimensions: \(p.width)×\(p.height), \(p.channels) channel\(p.channels == 1 ? "" : "s") (\(p.colourSpace))\n"
            if let w = p.declaredWidth, let h = p.declaredHeight {
                out +=
                    "  declared by the container: \(w)×\(h), colour space \(p.declaredColourSpace ?? "unspecified")\n"
            }
            if r.faceCount > 1 { out += "  (\(r.faceCount) faces; choose with --face N)\n" }
        } else {
            out += "portrait: none (a \(r.kind) holds no face image)\n"
        }
        if let e = r.extractedTo { out += "extracted to \(e)\n" }
        return out
    }
}
