import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context: Hummingbird's basic one with the upload limit raised to the service's own check.
public struct ServiceContext: RequestContext {
    /// Hummingbird's per-request storage (logger, route, parameters).
    public var coreContext: CoreRequestContextStorage
    /// A context for one request.
    public init(source: Source) { coreContext = .init(source: source) }
    /// Hummingbird's own ceiling; the service enforces ``ServiceConfiguration/maxRequestBytes`` itself, so that an
    /// oversized body is answered 413 with a JSON error.
    public var maxUploadSize: Int { 64 << 20 }
}

/// Checks the bearer token, turns ``ServiceError`` into JSON, and records each request's route, status and latency.
struct ServiceMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    let token: String?
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response: Response
        do {
            try authorise(request)
            response = try await next(request, context)
        } catch let error as ServiceError {
            response = Self.errorResponse(error.status, error.code, error.message)
        } catch let error as HTTPError {
            response = Self.errorResponse(
                error.status, error.status == .notFound ? "notFound" : "http", error.body ?? "\(error.status)")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(route: context.endpointPath ?? "unmatched", status: Int(response.status.code), seconds: seconds)
        context.logger.info(
            "request",
            metadata: [
                "route": "\(context.endpointPath ?? "unmatched")", "status": "\(response.status.code)",
                "ms": "\(Int(seconds * 1000))",
            ])
        return response
    }

    private func authorise(_ request: Request) throws {
        guard let token else { return }
        let presented = request.headers[.authorization] ?? ""
        let expected = "Bearer \(token)"
        // Constant-time comparison of equal-length byte strings.
        let a = Array(presented.utf8)
        let b = Array(expected.utf8)
        var diff = a.count ^ b.count
        for i in 0..<min(a.count, b.count) { diff |= Int(a[i] ^ b[i]) }
        guard diff == 0 else {
            throw ServiceError(status: .unauthorized, code: "unauthorized", message: "a valid bearer token is required")
        }
    }

    static func errorResponse(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let data = (try? JSONEncoder().encode(ErrorBody(error: code, message: message))) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
