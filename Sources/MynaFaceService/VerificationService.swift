import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MynaFace
import NIOCore

/// The local verification service behind `mynaface serve`: models loaded once, JSON over HTTP.
///
/// Routes (described by `docs/openapi.yaml`): `POST /v1/templates` (enrol), `DELETE /v1/templates/{id}`,
/// `POST /v1/verify` (one frame or one attempt of several), `GET /health`, `GET /ready`, `GET /metrics`; with a
/// ``KioskConfiguration``, the kiosk page (`GET /kiosk`, `GET /kiosk/{file}`, `POST /v1/kiosk/card`, `POST /v1/kiosk/pin`).
/// Templates live in memory only and expire; logs carry routes, statuses and durations, never images, descriptors
/// or scores.
public struct VerificationService: Sendable {
    let verifier: FaceVerifier
    let configuration: ServiceConfiguration
    let templates: TemplateStore
    let metrics = ServiceMetrics()
    let gate: ConcurrencyGate
    let kioskPins = KioskPinAttempts()

    /// A service over a loaded verifier.
    /// - Throws: ``ServiceConfigurationError`` for an unsafe or invalid configuration.
    public init(verifier: FaceVerifier, configuration: ServiceConfiguration) throws(ServiceConfigurationError) {
        try configuration.validate()
        self.verifier = verifier
        self.configuration = configuration
        templates = TemplateStore(lifetime: configuration.templateLifetime, capacity: configuration.maxTemplates)
        gate = ConcurrencyGate(limit: configuration.maxConcurrent, queue: configuration.maxQueued)
    }

    /// The Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func application(logger: Logger, onRunning: @escaping @Sendable (Int) -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let router = Router(context: ServiceContext.self)
        router.add(middleware: ServiceMiddleware(token: configuration.token, metrics: metrics))
        router.get("health") { _, _ in try Self.json(StatusBody(status: "ok"), status: .ok) }
        router.get("ready") { _, _ in
            try Self.json(StatusBody(status: "ready", templates: templates.purge()), status: .ok)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render(templates: templates.purge()))))
        }
        router.post("v1/templates") { request, context in try await enrol(request, context) }
        router.delete("v1/templates/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard templates.remove(id) else {
                throw ServiceError(status: .notFound, code: "unknownTemplate", message: "no such template")
            }
            return Response(status: .noContent)
        }
        router.post("v1/verify") { request, context in try await verify(request, context) }
        if let kiosk = configuration.kiosk { addKioskRoutes(router, kiosk) }
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "mynaface"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func enrol(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let body = try await Self.decode(EnrolRequest.self, request, context, limit: configuration.maxRequestBytes)
        let portrait = try Self.base64(body.portrait, field: "portrait")
        let certificate = try body.certificate.map { try Self.base64($0, field: "certificate") }
        return try await enrolPortrait(portrait, certificate: certificate)
    }

    /// Enrols a portrait into the store: `201` with its id.
    func enrolPortrait(_ portrait: [UInt8], certificate: [UInt8]?) async throws -> Response {
        let template = try await guarded { () throws(VerificationError) in
            try verifier.enroll(portrait: portrait, certificate: certificate)
        }
        guard let id = templates.insert(template) else {
            metrics.recordRejection("templates")
            throw ServiceError(
                status: .serviceUnavailable, code: "tooManyTemplates", message: "the template store is full")
        }
        return try Self.json(
            EnrolResponse(
                templateId: id, expiresInSeconds: Int(configuration.templateLifetime),
                authenticity: template.authenticity.description), status: .created)
    }

    func verify(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let body = try await Self.decode(VerifyRequest.self, request, context, limit: configuration.maxRequestBytes)
        guard (1...configuration.maxFramesPerAttempt).contains(body.frames.count) else {
            throw ServiceError.badRequest("frames: 1 to \(configuration.maxFramesPerAttempt) frames")
        }
        let frames = try body.frames.enumerated().map { try Self.base64($0.element, field: "frames[\($0.offset)]") }
        guard let template = templates.template(body.templateId) else {
            throw ServiceError(
                status: .notFound, code: "unknownTemplate", message: "no such template (unknown or expired)")
        }
        let result = try await guarded { () throws(VerificationError) in
            try verifier.verifyAttempt(template, probes: frames)
        }
        metrics.recordDecision(result.decision.name)
        var response = VerifyResponse(
            decision: result.decision.name, similarity: result.similarity, distance: result.distance,
            threshold: result.threshold.value, framesFused: result.framesFused)
        if case .notAcquired(let reason) = result.decision {
            response.reason = Self.reasonName(reason)
            response.patientMessage = reason.patientMessage
        }
        return try Self.json(response, status: .ok)
    }

    /// Runs face work off the server's threads, within the concurrency limit.
    func guarded<T: Sendable>(_ work: @escaping @Sendable () throws(VerificationError) -> T) async throws -> T {
        guard await gate.enter() else {
            metrics.recordRejection("busy")
            throw ServiceError(status: .serviceUnavailable, code: "busy", message: "too many requests waiting; retry")
        }
        defer { Task { await gate.leave() } }
        let outcome: Result<T, VerificationError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(VerificationError) { continuation.resume(returning: .success(try work())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw ServiceError(error)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServiceContext, limit: Int)
        async throws -> T
    {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch {
            throw ServiceError(
                status: .contentTooLarge, code: "tooLarge", message: "the request body exceeds \(limit) bytes")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer: buffer)) } catch {
            throw ServiceError.badRequest("the body is not the expected JSON")
        }
    }

    static func base64(_ text: String, field: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text), !data.isEmpty else {
            throw ServiceError.badRequest("\(field) is not base64")
        }
        return [UInt8](data)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func reasonName(_ reason: NotAcquiredReason) -> String {
        switch reason {
        case .noFace: "noFace"
        case .faceTooSmall: "faceTooSmall"
        case .faceTooNearEdge: "faceTooNearEdge"
        case .tooDark: "tooDark"
        case .tooBright: "tooBright"
        case .blurred: "blurred"
        case .headTurned: "headTurned"
        case .headTilted: "headTilted"
        case .headPitched: "headPitched"
        case .secondFace: "secondFace"
        }
    }
}
