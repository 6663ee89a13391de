import Foundation
import MynaFace
import Synchronization

/// Templates enrolled over HTTP: in memory only, each under a random id, dropped when it expires, is deleted, or
/// the service stops. Nothing is written to disk.
final class TemplateStore: Sendable {
    private struct Entry: Sendable {
        var template: PortraitTemplate
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Double, capacity: Int) {
        self.lifetime = .milliseconds(Int64(lifetime * 1000))
        self.capacity = capacity
    }

    /// Stores a template; nil when the store is full (after dropping the expired ones).
    func insert(_ template: PortraitTemplate) -> String? {
        let id = UUID().uuidString.lowercased()
        let now = ContinuousClock.now
        return entries.withLock { e -> String? in
            e = e.filter { $0.value.expires > now }
            guard e.count < capacity else { return nil }
            e[id] = Entry(template: template, expires: now + lifetime)
            return id
        }
    }

    /// The template, unless unknown or expired (an expired one is dropped).
    func template(_ id: String) -> PortraitTemplate? {
        let now = ContinuousClock.now
        return entries.withLock { e -> PortraitTemplate? in
            guard let entry = e[id] else { return nil }
            guard entry.expires > now else {
                e[id] = nil
                return nil
            }
            return entry.template
        }
    }

    /// Drops a template; false when it was not there.
    func remove(_ id: String) -> Bool {
        entries.withLock { $0.removeValue(forKey: id) != nil }
    }

    /// Drops the expired templates; returns how many remain.
    @discardableResult
    func purge() -> Int {
        let now = ContinuousClock.now
        return entries.withLock { e in
            e = e.filter { $0.value.expires > now }
            return e.count
        }
    }

    /// Templates held now (expired ones included until the next purge).
    var count: Int { entries.withLock { $0.count } }
}
