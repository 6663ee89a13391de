import Foundation
import TestSupport
import Testing

@testable import Evaluation

@Suite("inputs: pairs files, labels CSV, folders")
struct DatasetTests {
    @Test("LFW pairs.txt: header, same-person and different-person lines, image naming")
    func lfwPairs() throws {
        let text =
            "2\t2\nAbel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\t3\n\nAbdel_Madi_Shabneh\t1\tDean_Barker\t1\nAbel_Pacheco\t4\tJean-Francois_Lamour\t12\n"
        let root = URL(fileURLWithPath: "/data/lfw")
        let d = try FaceDataset.lfwPairs(text: text, path: "pairs.txt", root: root)
        let pairs = try #require(d.explicitPairs)
        #expect(pairs.count == 4)
        #expect(pairs.map(\.same) == [true, true, false, false])
        func names(_ p: ImagePair) -> [String] { [d.images[p.a].name, d.images[p.b].name] }
        #expect(names(pairs[0]) == ["Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg"])
        #expect(
            names(pairs[2]) == ["Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg", "Dean_Barker/Dean_Barker_0001.jpg"])
        #expect(
            names(pairs[3]) == [
                "Abel_Pacheco/Abel_Pacheco_0004.jpg", "Jean-Francois_Lamour/Jean-Francois_Lamour_0012.jpg",
            ])
        // Abel_Pacheco_0004 appears twice but is one image.
        #expect(d.images.count == 7)
        #expect(pairs[0].b == pairs[3].a)
        #expect(d.images[pairs[3].b].url.path == "/data/lfw/Jean-Francois_Lamour/Jean-Francois_Lamour_0012.jpg")
        #expect(d.images[pairs[2].a].identity == "Abdel_Madi_Shabneh")
    }

    @Test("LFW pairs.txt: malformed lines are typed errors with the line number")
    func lfwMalformed() {
        let root = URL(fileURLWithPath: "/x")
        #expect(throws: EvaluationError.malformedLine(path: "p.txt", line: 2, detail: "'one' is not an image number")) {
            try FaceDataset.lfwPairs(text: "1 1\nA one 2\n", path: "p.txt", root: root)
        }
        #expect(throws: EvaluationError.self) {
            try FaceDataset.lfwPairs(text: "A 1 B 2 C\n", path: "p.txt", root: root)
        }
        #expect(throws: EvaluationError.self) {
            try FaceDataset.lfwPairs(text: "../etc 1 2\n", path: "p.txt", root: root)
        }
        #expect(throws: EvaluationError.empty(detail: "no pairs in p.txt")) {
            try FaceDataset.lfwPairs(text: "10 300\n", path: "p.txt", root: root)
        }
    }

    @Test("CSV pairs file path_a,path_b,same")
    func csvPairs() throws {
        let dir = temporaryDirectory("pairs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("pairs.csv")
        try Data("path_a,path_b,same\na/1.jpg,a/2.jpg,1\na/1.jpg,\"b,1.jpg\",false\n".utf8).write(to: url)
        let d = try FaceDataset.pairsFile(url)
        #expect(d.explicitPairs == [ImagePair(a: 0, b: 1, same: true), ImagePair(a: 0, b: 2, same: false)])
        #expect(d.images.map(\.name) == ["a/1.jpg", "a/2.jpg", "b,1.jpg"])
        #expect(d.images[2].url == dir.appendingPathComponent("b,1.jpg"))
        try Data("path_a,path_b,same\na,b,maybe\n".utf8).write(to: url)
        #expect(
            throws: EvaluationError.malformedLine(
                path: url.path, line: 2, detail: "'same' must be 1/0, true/false or yes/no")
        ) {
            try FaceDataset.pairsFile(url)
        }
    }

    @Test("labels CSV: columns by header name, paths relative to the CSV, --set filter")
    func labelsWithSets() throws {
        let dir = temporaryDirectory("labels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("labels.csv")
        try Data(
            """
            set,path,identity,width
            lfw,lfw/A/A_0001.jpg,A,250
            lfw,lfw/A/A_0002.jpg,A,250
            att,att/s1/1.pgm,att_s1,92
            lfw,lfw/B/B_0001.jpg,B,250
            att,"att/s2/1.pgm",att_s2,92

            """.utf8
        ).write(to: url)
        let all = try FaceDataset.labelsCSV(url)
        #expect(all.images.count == 5)
        #expect(all.identityCount == 4)
        let lfw = try FaceDataset.labelsCSV(url, sets: ["lfw"])
        #expect(lfw.images.map(\.name) == ["lfw/A/A_0001.jpg", "lfw/A/A_0002.jpg", "lfw/B/B_0001.jpg"])
        #expect(lfw.images.allSatisfy { $0.set == "lfw" })
        #expect(lfw.images[0].url == dir.appendingPathComponent("lfw/A/A_0001.jpg"))
        #expect(lfw.description == "labels.csv (set lfw)")
        let att = try FaceDataset.labelsCSV(url, sets: ["att"])
        #expect(att.images.map(\.identity) == ["att_s1", "att_s2"])
        #expect(throws: EvaluationError.empty(detail: "no rows in \(url.path) for set(s) yale")) {
            try FaceDataset.labelsCSV(url, sets: ["yale"])
        }
        try Data("path,name\na.jpg,A\n".utf8).write(to: url)
        #expect(throws: EvaluationError.missingColumn(path: url.path, column: "identity")) {
            try FaceDataset.labelsCSV(url)
        }
    }

    @Test("shared labels.csv: each set filter keeps only that set", .enabled(if: TestEnvironment.faceData != nil))
    func sharedLabels() throws {
        let url = try #require(TestEnvironment.faceData).appendingPathComponent("labels.csv")
        let att = try FaceDataset.labelsCSV(url, sets: ["att"])
        #expect(att.images.count == 400)
        #expect(att.identityCount == 40)
        #expect(att.images.allSatisfy { FileManager.default.fileExists(atPath: $0.url.path) })
    }

    @Test("folder of identity sub-folders, sorted, hidden files ignored")
    func folder() throws {
        let dir = temporaryDirectory("folder")
        defer { try? FileManager.default.removeItem(at: dir) }
        writeFakeFaceFolder(dir, identities: 2, perIdentity: 2, extra: [".DS_Store": "x", "person00/.hidden": "x"])
        let d = try FaceDataset.folder(dir)
        #expect(
            d.images.map(\.name) == [
                "person00/person00_0001.jpg", "person00/person00_0002.jpg",
                "person01/person01_0001.jpg", "person01/person01_0002.jpg",
            ])
        #expect(d.images.map(\.identity) == ["person00", "person00", "person01", "person01"])
    }
}

@Suite("pair protocols")
struct PairProtocolTests {
    func images(_ spec: [(String, String, Int)]) -> [LabelledImage] {
        spec.flatMap { identity, set, n in
            (1...n).map {
                LabelledImage(
                    url: URL(fileURLWithPath: "/\(identity)/\($0)"), name: "\(identity)/\($0)", identity: identity,
                    set: set)
            }
        }
    }

    @Test("all genuine pairs; impostors sampled within a set, distinct, seeded")
    func allPairs() {
        let imgs = images([("a", "s1", 3), ("b", "s1", 2), ("c", "s2", 2), ("d", "s2", 1)])
        let everything = PairProtocol.allPairs(imgs, impostors: 1000, seed: 1)
        let genuine = everything.filter(\.same)
        let impostor = everything.filter { !$0.same }
        #expect(genuine.count == 3 + 1 + 1)
        // s1: 3·2 = 6 impostor pairs; s2: 2·1 = 2; none across sets.
        #expect(impostor.count == 8)
        #expect(
            impostor.allSatisfy {
                imgs[$0.a].set == imgs[$0.b].set && imgs[$0.a].identity != imgs[$0.b].identity && $0.a < $0.b
            })
        let sampled = PairProtocol.allPairs(imgs, impostors: 5, seed: 3).filter { !$0.same }
        #expect(sampled.count == 5)
        #expect(Set(sampled).count == 5)
        #expect(sampled == PairProtocol.allPairs(imgs, impostors: 5, seed: 3).filter { !$0.same })
        #expect(Set(sampled).isSubset(of: Set(impostor)))
    }

    @Test("rejection sampling path (many candidates) stays within sets and distinct")
    func rejectionPath() {
        let imgs = images([("a", "s", 2), ("b", "s", 2), ("c", "t", 2), ("d", "t", 2)])
        let groups = [(left: [0, 1, 2, 3], right: [0, 1, 2, 3]), (left: [4, 5, 6, 7], right: [4, 5, 6, 7])]
        let pairs = PairProtocol.sampleImpostors(
            groups: groups, images: imgs, unordered: true, wanted: 6, seed: 5,
            enumerationLimit: 0)
        #expect(pairs.count == 6)
        #expect(Set(pairs).count == 6)
        #expect(
            pairs
                == PairProtocol.sampleImpostors(
                    groups: groups, images: imgs, unordered: true, wanted: 6, seed: 5,
                    enumerationLimit: 0))
        #expect(pairs.allSatisfy { imgs[$0.a].set == imgs[$0.b].set && imgs[$0.a].identity != imgs[$0.b].identity })
    }

    @Test("chip protocol: first image is the reference; genuine = its other images; impostors within the set")
    func chipPairs() {
        let imgs = images([("a", "s", 3), ("b", "s", 2), ("c", "t", 2)])
        let (references, pairs) = PairProtocol.chipPairs(imgs, impostors: nil, seed: 1)
        #expect(references == [0, 3, 5])
        #expect(
            pairs.filter(\.same) == [
                ImagePair(a: 0, b: 1, same: true), ImagePair(a: 0, b: 2, same: true),
                ImagePair(a: 3, b: 4, same: true), ImagePair(a: 5, b: 6, same: true),
            ])
        // s: ref a vs b's probe (4); ref b vs a's probes (1, 2). t has one identity: none.
        #expect(
            pairs.filter { !$0.same } == [
                ImagePair(a: 0, b: 4, same: false), ImagePair(a: 3, b: 1, same: false),
                ImagePair(a: 3, b: 2, same: false),
            ])
    }
}
