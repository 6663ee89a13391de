import MynaFaceService
import Testing

/// The service's safety rules, without a server.
@Suite("ServiceConfiguration")
struct ServiceConfigurationTests {
    @Test("loopback by default; any other address needs the flag and a token of 16+ characters")
    func bindRules() throws {
        var c = ServiceConfiguration()
        #expect(c.host == "127.0.0.1" && c.isLoopback)
        try c.validate()
        c.host = "0.0.0.0"
        #expect(throws: ServiceConfigurationError.nonLoopbackNeedsFlag("0.0.0.0")) { try c.validate() }
        c.allowNonLoopback = true
        #expect(throws: ServiceConfigurationError.nonLoopbackNeedsToken("0.0.0.0")) { try c.validate() }
        c.token = "short"
        #expect(throws: ServiceConfigurationError.nonLoopbackNeedsToken("0.0.0.0")) { try c.validate() }
        c.token = "0123456789abcdef"
        try c.validate()
        c.host = "::1"
        c.allowNonLoopback = false
        #expect(c.isLoopback)
        c.maxConcurrent = 0
        #expect(throws: ServiceConfigurationError.invalidLimit("limits must be positive")) { try c.validate() }
    }
}
