import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `mynaface serve` against `docs/openapi.yaml`: a real server on 127.0.0.1 (any free port), driven through every
/// documented path until each documented status has been seen, each JSON body checked for its schema's required
/// fields; and the face decisions over HTTP (genuine attempt → match, impostor → noMatch).
@Suite("mynaface serve", .serialized)
struct ServiceContractTests {
    static let ready =
        ProcessRunner.mynafaceBinary != nil && TestEnvironment.sample("obama.jpg") != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    static let token = "test-token-0123456789abcdef"

    /// A running `mynaface serve`, stopped when released.
    final class Server: @unchecked Sendable {
        let process = Process()
        var port = 0

        init(_ arguments: [String]) throws {
            process.executableURL = try #require(ProcessRunner.mynafaceBinary)
            process.arguments = ["serve", "--port", "0"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let byte = out.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { break }
                if byte == Data("\n".utf8) {
                    let text = String(decoding: line, as: UTF8.self)
                    if let p = text.split(separator: ":").last.flatMap({ Int($0) }),
                        text.contains("listening on 127.0.0.1")
                    {
                        port = p
                        break
                    }
                    line = Data()
                } else {
                    line.append(byte)
                }
            }
        }

        deinit {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    struct Reply {
        var status: Int
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    static func request(
        _ server: Server, _ method: String, _ path: String, body: Data? = nil,
        token: String? = ServiceContractTests.token
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 120
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    static func json(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }

    func base64(_ name: String, prefixFraction: Double = 1) throws -> String {
        let data = try Data(contentsOf: try #require(TestEnvironment.sample(name)))
        return data.prefix(Int(Double(data.count) * prefixFraction)).base64EncodedString()
    }

    /// The documented (method, path, status) triples with the required fields of each JSON response.
    static func documented() throws -> [String: [String]] {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent("docs/openapi.yaml")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        var out: [String: [String]] = [:]
        for (path, item) in try #require(doc["paths"] as? [String: [String: Any]]) {
            for (method, operation) in item {
                let responses = try #require((operation as? [String: Any])?["responses"] as? [String: [String: Any]])
                for (status, response) in responses {
                    var required: [String] = []
                    if let schema = ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?[
                        "schema"]
                        as? [String: Any], let ref = schema["$ref"] as? String
                    {
                        required = schemas[String(ref.split(separator: "/").last!)]?["required"] as? [String] ?? []
                    }
                    out["\(method.uppercased()) \(path) \(status)"] = required
                }
            }
        }
        return out
    }

    @Test("every documented path answers every documented status with its documented JSON fields", .enabled(if: ready))
    func contract() async throws {
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-token-\(UUID())")
        try Data(Self.token.utf8).write(to: tokenFile)
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        let pinFile = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-pin-\(UUID())")
        try Data("4321\n".utf8).write(to: pinFile)
        defer { try? FileManager.default.removeItem(at: pinFile) }
        let server = try Server([
            "--token-file", tokenFile.path, "--max-request-bytes", "2000000", "--max-templates", "2",
            "--max-concurrent", "1", "--max-queued", "0",
            "--kiosk", TestEnvironment.repositoryRoot.appendingPathComponent("Kiosk").path,
            "--kiosk-portrait", try #require(TestEnvironment.sample("obama.jpg")).path,
            "--kiosk-pin-file", pinFile.path,
        ])
        try #require(server.port > 0, "the server did not start")
        let documented = try Self.documented()
        var seen: [String: Int] = [:]
        func check(_ key: String, _ reply: Reply) {
            #expect(
                key.hasSuffix(" \(reply.status)"),
                "\(key): got \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            guard let required = documented[key] else {
                Issue.record("\(key) is not documented")
                return
            }
            if !required.isEmpty {
                let json = reply.json ?? [:]
                for field in required { #expect(json[field] != nil, "\(key): field \(field)") }
            }
            seen[key, default: 0] += 1
        }
        let r = Self.request
        check("GET /health 200", try await r(server, "GET", "/health", nil, Self.token))
        check("GET /ready 200", try await r(server, "GET", "/ready", nil, Self.token))
        check(
            "POST /v1/templates 401",
            try await r(server, "POST", "/v1/templates", Self.json(["portrait": try base64("obama.jpg")]), nil))
        check("POST /v1/templates 400", try await r(server, "POST", "/v1/templates", Data("not json".utf8), Self.token))
        check(
            "POST /v1/templates 413",
            try await r(
                server, "POST", "/v1/templates",
                Self.json(["portrait": String(repeating: "A", count: 2_100_000)]), Self.token))
        check(
            "POST /v1/templates 422",
            try await r(
                server, "POST", "/v1/templates",
                Self.json(["portrait": try base64("obama.jpg", prefixFraction: 0.5)]), Self.token))
        let enrolled = try await r(
            server, "POST", "/v1/templates", Self.json(["portrait": try base64("obama.jpg")]), Self.token)
        check("POST /v1/templates 201", enrolled)
        let id = try #require(enrolled.json?["templateId"] as? String)
        let second = try await r(
            server, "POST", "/v1/templates", Self.json(["portrait": try base64("biden.jpg")]), Self.token)
        check("POST /v1/templates 201", second)
        check(
            "POST /v1/templates 503",
            try await r(
                server, "POST", "/v1/templates",
                Self.json(["portrait": try base64("obama.jpg")]), Self.token))
        check("POST /v1/kiosk/card 503", try await r(server, "POST", "/v1/kiosk/card", nil, Self.token))
        let secondID = try #require(second.json?["templateId"] as? String)
        check(
            "DELETE /v1/templates/{id} 204", try await r(server, "DELETE", "/v1/templates/\(secondID)", nil, Self.token)
        )
        check(
            "DELETE /v1/templates/{id} 404", try await r(server, "DELETE", "/v1/templates/\(secondID)", nil, Self.token)
        )

        // The kiosk page, its demo card and its demo PIN (three wrong PINs lock the visit).
        let page = try await r(server, "GET", "/kiosk", nil, Self.token)
        check("GET /kiosk 200", page)
        #expect(String(decoding: page.body, as: UTF8.self).contains("マイナンバーカードを置いてください"))
        check("GET /kiosk/{file} 200", try await r(server, "GET", "/kiosk/kiosk.js", nil, Self.token))
        check("GET /kiosk/{file} 404", try await r(server, "GET", "/kiosk/ServeCommand.swift", nil, Self.token))
        let card = try await r(server, "POST", "/v1/kiosk/card", nil, Self.token)
        check("POST /v1/kiosk/card 201", card)
        let visit = try #require(card.json?["templateId"] as? String)
        func pin(_ digits: String, _ template: String = visit) async throws -> Reply {
            try await r(
                server, "POST", "/v1/kiosk/pin", Self.json(["templateId": template, "pin": digits]), Self.token)
        }
        let wrong = try await pin("1111")
        check("POST /v1/kiosk/pin 200", wrong)
        #expect(wrong.json?["accepted"] as? Bool == false && wrong.json?["triesLeft"] as? Int == 2)
        let right = try await pin("4321")
        check("POST /v1/kiosk/pin 200", right)
        #expect(right.json?["accepted"] as? Bool == true)
        check("POST /v1/kiosk/pin 400", try await pin("12a4"))
        check("POST /v1/kiosk/pin 404", try await pin("4321", "nope"))
        _ = try await pin("2222")
        #expect(try await pin("3333").json?["triesLeft"] as? Int == 0)
        #expect(try await pin("4321").json?["accepted"] as? Bool == false, "a locked visit accepts no PIN")

        let genuine = try await r(
            server, "POST", "/v1/verify",
            Self.json([
                "templateId": id,
                "frames": [
                    try base64("obama2.jpg"), try base64("obama3.jpg"),
                ],
            ]), Self.token)
        check("POST /v1/verify 200", genuine)
        #expect(genuine.json?["decision"] as? String == "match" && genuine.json?["framesFused"] as? Int == 2)
        let impostor = try await r(
            server, "POST", "/v1/verify", Self.json(["templateId": id, "frames": [try base64("biden.jpg")]]),
            Self.token)
        check("POST /v1/verify 200", impostor)
        #expect(impostor.json?["decision"] as? String == "noMatch")
        check(
            "POST /v1/verify 400",
            try await r(server, "POST", "/v1/verify", Self.json(["templateId": id, "frames": []]), Self.token))
        check(
            "POST /v1/verify 404",
            try await r(
                server, "POST", "/v1/verify",
                Self.json(["templateId": "nope", "frames": [try base64("biden.jpg")]]), Self.token))
        check(
            "POST /v1/verify 413",
            try await r(
                server, "POST", "/v1/verify",
                Self.json(["templateId": id, "frames": [String(repeating: "A", count: 2_100_000)]]),
                Self.token))
        let cut = try await r(
            server, "POST", "/v1/verify",
            Self.json(["templateId": id, "frames": [try base64("obama2.jpg", prefixFraction: 0.5)]]), Self.token)
        check("POST /v1/verify 422", cut)
        #expect(cut.json?["error"] as? String == "imageTruncated")
        // One slot, no queue: of four verifications at once, at least one is refused as busy.
        let body = Self.json(["templateId": id, "frames": [try base64("obama2.jpg")]])
        let statuses = try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<4 { group.addTask { try await r(server, "POST", "/v1/verify", body, Self.token) } }
            return try await group.reduce(into: [Reply]()) { $0.append($1) }
        }
        for reply in statuses where reply.status == 503 { check("POST /v1/verify 503", reply) }
        #expect(statuses.contains { $0.status == 503 } && statuses.contains { $0.status == 200 })

        let metrics = try await r(server, "GET", "/metrics", nil, Self.token)
        check("GET /metrics 200", metrics)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("mynaface_decisions_total{decision=\"match\"} 1"))
        #expect(text.contains("mynaface_requests_total{route=\"/v1/verify\",status=\"200\"}"))
        #expect(text.contains("mynaface_request_duration_seconds_bucket{route=\"/v1/verify\",le=\"+Inf\"}"))
        #expect(!text.contains("similarity") && !text.contains("distance"))

        #expect(Set(documented.keys).subtracting(seen.keys).sorted() == [], "documented but never answered")
    }

    @Test(
        "a non-loopback bind is refused without --allow-remote and a token",
        .enabled(if: ProcessRunner.mynafaceBinary != nil))
    func nonLoopbackRefused() throws {
        let bin = try #require(ProcessRunner.mynafaceBinary)
        let noFlag = try ProcessRunner.run(bin, ["serve", "--host", "0.0.0.0", "--port", "0"], timeout: 60)
        #expect(noFlag.status == 3)
        #expect(noFlag.stderr.contains("needs --allow-remote"))
        let noToken = try ProcessRunner.run(
            bin, ["serve", "--host", "0.0.0.0", "--port", "0", "--allow-remote"], timeout: 60)
        #expect(noToken.status == 3)
        #expect(noToken.stderr.contains("token of at least 16 characters"))
    }
}
