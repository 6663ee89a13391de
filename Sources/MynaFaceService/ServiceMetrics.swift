import Synchronization

/// Counters for `/metrics` (Prometheus text format 0.0.4): requests by route and status, a latency histogram per
/// route, decisions by kind, templates held. No biometric value (no score, no descriptor) is ever recorded.
final class ServiceMetrics: Sendable {
    /// Latency histogram bounds, seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Histogram: Sendable {
        var counts = [Int](repeating: 0, count: ServiceMetrics.buckets.count)
        var sum = 0.0
        var count = 0
    }

    private struct State: Sendable {
        var requests: [String: Int] = [:]  // "route|status"
        var latency: [String: Histogram] = [:]
        var decisions: [String: Int] = ["match": 0, "noMatch": 0, "notAcquired": 0]
        var rejected: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func record(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests["\(route)|\(status)", default: 0] += 1
            var h = s.latency[route] ?? Histogram()
            for (i, b) in Self.buckets.enumerated() where seconds <= b { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[route] = h
        }
    }

    func recordDecision(_ name: String) { state.withLock { $0.decisions[name, default: 0] += 1 } }

    func recordRejection(_ reason: String) { state.withLock { $0.rejected[reason, default: 0] += 1 } }

    /// The exposition text.
    func render(templates: Int) -> String {
        let s = state.withLock { $0 }
        var out =
            "# HELP mynaface_requests_total HTTP requests by route and status.\n# TYPE mynaface_requests_total counter\n"
        for key in s.requests.keys.sorted() {
            let parts = key.split(separator: "|", maxSplits: 1)
            out += "mynaface_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(s.requests[key]!)\n"
        }
        out += "# HELP mynaface_request_duration_seconds Request latency by route.\n"
        out += "# TYPE mynaface_request_duration_seconds histogram\n"
        for route in s.latency.keys.sorted() {
            let h = s.latency[route]!
            for (i, b) in Self.buckets.enumerated() {
                out += "mynaface_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(b)\"} \(h.counts[i])\n"
            }
            out += "mynaface_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(h.count)\n"
            out += "mynaface_request_duration_seconds_sum{route=\"\(route)\"} \(h.sum)\n"
            out += "mynaface_request_duration_seconds_count{route=\"\(route)\"} \(h.count)\n"
        }
        out += "# HELP mynaface_decisions_total Face decisions by kind.\n# TYPE mynaface_decisions_total counter\n"
        for kind in s.decisions.keys.sorted() {
            out += "mynaface_decisions_total{decision=\"\(kind)\"} \(s.decisions[kind]!)\n"
        }
        out += "# HELP mynaface_rejected_total Requests refused by a limit.\n# TYPE mynaface_rejected_total counter\n"
        for reason in s.rejected.keys.sorted() {
            out += "mynaface_rejected_total{reason=\"\(reason)\"} \(s.rejected[reason]!)\n"
        }
        out += "# HELP mynaface_templates Templates held in memory.\n# TYPE mynaface_templates gauge\n"
        out += "mynaface_templates \(templates)\n"
        return out
    }
}
