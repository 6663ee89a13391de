/// `POST /v1/templates`: a portrait (card-face file with its certificate, DG2 record, or image), base64.
struct EnrolRequest: Decodable {
    var portrait: String
    var certificate: String?
}

/// `201` for an enrolment: the template's id and how long it lives. The descriptor never leaves the service.
struct EnrolResponse: Encodable {
    var templateId: String
    var expiresInSeconds: Int
    var authenticity: String
}

/// `POST /v1/verify`: one or several camera frames (JPEG or PNG, base64) of one attempt against a template.
struct VerifyRequest: Decodable {
    var templateId: String
    var frames: [String]
}

/// `200` for a verification: one decision for the attempt.
struct VerifyResponse: Encodable {
    var decision: String
    var similarity: Double?
    var distance: Double?
    var threshold: Double
    var framesFused: Int
    var reason: String?
    var patientMessage: String?
}

/// Every error body: a stable code and a one-line message (no image or biometric data).
struct ErrorBody: Encodable {
    var error: String
    var message: String
}

/// `GET /health` and `GET /ready`.
struct StatusBody: Encodable {
    var status: String
    var templates: Int?
}
