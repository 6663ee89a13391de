import Foundation
import TestSupport
import Testing

@testable import FaceImaging
@testable import MynaCard

/// Inputs found by the libFuzzer target (Scripts/fuzz.sh) that once crashed the pipeline; kept in
/// Fixtures/containers/fuzz-regressions/ (mutations of the synthetic fixtures). Each must now end in a value or a
/// typed error. The container around the image is intact, so the container path is known.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let cases: [(file: String, kind: PortraitSourceKind, path: String)] = [
        // A J2K whose COM marker segment was cut short: crashed the JPEG 2000 memory stream (heap overflow).
        ("j2k-short-com-marker.bin", .j2k, ""),
        // JP2 bytes inside a 19794-5 DG2 with flipped bits: same crash, reached through DG2 extraction.
        ("dg2-19794-jp2-mutated.bin", .dg2, "75/7F61/7F60[0]/5F2E/face[0]"),
        // A padded card-face file with a mutated portrait and key.
        ("cardface-filler-mutated.bin", .cardFaceFile, "FF20/DF27"),
    ]

    @Test(arguments: 0..<cases.count)
    func replaysWithoutCrashing(index: Int) throws {
        let c = Self.cases[index]
        let bytes = try ContainerFixtures.bytes("fuzz-regressions/" + c.file)
        #expect(PortraitContainer.detect(bytes) == c.kind)
        let found = try PortraitContainer.locatePortraits(bytes)
        #expect(found.map(\.location.path) == [c.path])
        do {
            let (image, info) = try PortraitContainer.extractPortrait(bytes)
            #expect(image.width == info.width && image.height == info.height && image.channels == info.channels)
            #expect(info.containerPath == c.path)
        } catch {
            guard case .decode(let path, _) = error else {
                Issue.record("expected a decode error, got \(error)")
                return
            }
            #expect(path == c.path)
        }
        _ = try? PortraitContainer.parse(bytes)
        _ = try? ImageDecoder.decode(found[0].bytes)
    }
}
