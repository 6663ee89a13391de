import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `POST /v1/kiosk/pin`: the PIN entered on the kiosk's pad for one visit (the template enrolled from its card).
struct KioskPinRequest: Decodable {
    var templateId: String
    var pin: String
}

/// `200` for a PIN check: accepted or not, and the wrong PINs the visit may still enter.
struct KioskPinResponse: Encodable {
    var accepted: Bool
    var triesLeft: Int
}

/// Wrong PINs per visit (template id), in memory only; a visit whose template is gone is forgotten.
final class KioskPinAttempts: Sendable {
    private let wrong = Mutex<[String: Int]>([:])

    /// Records a check; returns whether it is accepted and the tries left (a locked visit accepts nothing).
    func check(_ id: String, correct: Bool, limit: Int, alive: (String) -> Bool) -> KioskPinResponse {
        wrong.withLock { w in
            w = w.filter { alive($0.key) }
            let used = w[id, default: 0]
            guard used < limit else { return KioskPinResponse(accepted: false, triesLeft: 0) }
            if correct { return KioskPinResponse(accepted: true, triesLeft: limit - used) }
            w[id] = used + 1
            return KioskPinResponse(accepted: false, triesLeft: limit - used - 1)
        }
    }
}

extension VerificationService {
    /// The kiosk page's routes: its files under `/kiosk/`, the demo card, the demo PIN check.
    func addKioskRoutes(_ router: Router<ServiceContext>, _ kiosk: KioskConfiguration) {
        router.get("kiosk") { _, _ in try Self.kioskFile("index.html", kiosk) }
        router.get("kiosk/:file") { _, context in try Self.kioskFile(context.parameters.get("file") ?? "", kiosk) }
        if let portrait = kiosk.portrait {
            router.post("v1/kiosk/card") { _, _ in try await enrolPortrait(portrait, certificate: nil) }
        }
        if let pin = kiosk.pin {
            router.post("v1/kiosk/pin") { request, context in
                try await checkPin(request, context, pin: pin, tries: kiosk.pinTries)
            }
        }
    }

    /// One of the page's files (only the configured names; no path is ever joined).
    static func kioskFile(_ name: String, _ kiosk: KioskConfiguration) throws -> Response {
        guard let bytes = kiosk.files[name] else {
            throw ServiceError(status: .notFound, code: "notFound", message: "no such kiosk file")
        }
        var headers: HTTPFields = [.contentType: KioskConfiguration.contentType(name), .cacheControl: "no-store"]
        // The page loads only its own files and talks only to this service.
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(
            status: .ok, headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func checkPin(_ request: Request, _ context: ServiceContext, pin: String, tries: Int) async throws -> Response {
        let body = try await Self.decode(KioskPinRequest.self, request, context, limit: 4096)
        guard body.pin.count == 4, body.pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ServiceError.badRequest("pin: four digits")
        }
        guard templates.template(body.templateId) != nil else {
            throw ServiceError(
                status: .notFound, code: "unknownTemplate", message: "no such template (unknown or expired)")
        }
        // Constant-time comparison of the four digits.
        var diff = 0
        for (a, b) in zip(body.pin.utf8, pin.utf8) { diff |= Int(a ^ b) }
        let result = kioskPins.check(body.templateId, correct: diff == 0 && pin.utf8.count == 4, limit: tries) {
            templates.template($0) != nil
        }
        return try Self.json(result, status: .ok)
    }
}
