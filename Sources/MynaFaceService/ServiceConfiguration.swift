import Foundation

/// The settings of `mynaface serve`: where it listens and the limits it enforces.
///
/// Safe by default: it binds to 127.0.0.1; any other address needs ``allowNonLoopback`` **and** a ``token`` that
/// every request must present as `Authorization: Bearer <token>`.
public struct ServiceConfiguration: Sendable {
    /// The address to bind (default `127.0.0.1`).
    public var host = "127.0.0.1"
    /// The TCP port (default 8321).
    public var port = 8321
    /// Must be true to bind anything but a loopback address.
    public var allowNonLoopback = false
    /// The bearer token requests must carry; required for a non-loopback bind, optional on loopback.
    public var token: String?
    /// Largest request body, bytes (default 8 MiB: a few camera JPEGs in base64).
    public var maxRequestBytes = 8 << 20
    /// Verifications and enrolments running at once (default: the cores); more wait in a queue.
    public var maxConcurrent = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Requests waiting for a slot at most; beyond, 503 (default 64).
    public var maxQueued = 64
    /// Frames one verify request may carry (default 8).
    public var maxFramesPerAttempt = 8
    /// Seconds a template lives after enrolment (default 300: one reception visit).
    public var templateLifetime: Double = 300
    /// Templates held at once at most (default 1000); beyond, 503.
    public var maxTemplates = 1000
    /// The reception kiosk page and its demo card and PIN (default: none, no kiosk routes).
    public var kiosk: KioskConfiguration?

    /// The defaults: loopback, port 8321, no token, the limits above.
    public init() {}

    /// True for 127.0.0.0/8, ::1 and `localhost`.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Checks the safety rules.
    /// - Throws: ``ServiceConfigurationError``.
    public func validate() throws(ServiceConfigurationError) {
        if !isLoopback {
            guard allowNonLoopback else { throw .nonLoopbackNeedsFlag(host) }
            guard let token, token.count >= 16 else { throw .nonLoopbackNeedsToken(host) }
        }
        guard (0...65535).contains(port) else { throw .invalidLimit("port \(port)") }
        guard maxRequestBytes > 0, maxConcurrent > 0, maxQueued >= 0, maxFramesPerAttempt > 0, templateLifetime > 0,
            maxTemplates > 0
        else { throw .invalidLimit("limits must be positive") }
        if let pin = kiosk?.pin, pin.count != 4 || !pin.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw .invalidLimit("the kiosk PIN must be four digits")
        }
    }
}

/// A configuration the service refuses to start with.
public enum ServiceConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A non-loopback address without `--allow-remote`.
    case nonLoopbackNeedsFlag(String)
    /// A non-loopback address without a token of at least 16 characters.
    case nonLoopbackNeedsToken(String)
    /// A limit out of range.
    case invalidLimit(String)

    public var description: String {
        switch self {
        case .nonLoopbackNeedsFlag(let h): return "binding \(h) (not loopback) needs --allow-remote and a --token-file"
        case .nonLoopbackNeedsToken(let h): return "binding \(h) (not loopback) needs a token of at least 16 characters"
        case .invalidLimit(let m): return "invalid setting: \(m)"
        }
    }
}
