import Foundation

/// A fixed-size byte buffer that is zeroed by ``wipe()`` and again when the last reference goes.
///
/// Used for bytes that must not outlive their use: PIN digits and the command APDU that carries them.
/// The buffer is allocated once and never copied by this type; reads go through ``withBytes(_:)``.
/// Thread-safe: every access holds a lock, so a wipe never races a read.
public final class SensitiveBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let storage: UnsafeMutableBufferPointer<UInt8>
    private let lock = NSLock()

    /// Copies `bytes` into a new buffer. The caller should wipe its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        storage = .allocate(capacity: max(1, bytes.count))
        storage.initialize(repeating: 0)
        _ = UnsafeMutableBufferPointer(rebasing: storage[0..<bytes.count]).initialize(from: bytes)
        count = bytes.count
    }

    /// The number of bytes held.
    public let count: Int

    /// Calls `body` with the bytes (zeros after a wipe). Do not let the pointer escape.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(UnsafeBufferPointer(rebasing: storage[0..<count]))
    }

    /// Overwrites every byte with zero. Idempotent.
    public func wipe() {
        lock.lock()
        defer { lock.unlock() }
        Self.zero(storage)
    }

    /// True when every byte is zero (after ``wipe()``).
    public var isWiped: Bool { withBytes { $0.allSatisfy { $0 == 0 } } }

    deinit {
        Self.zero(storage)
        storage.deallocate()
    }

    private static func zero(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        // memset_s is not on Linux; a volatile-style loop through the raw pointer keeps the stores.
        guard let base = buffer.baseAddress else { return }
        let raw = UnsafeMutableRawPointer(base)
        for i in 0..<buffer.count { raw.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        withExtendedLifetime(buffer) {}
    }

    /// Redacted: never the bytes.
    public var description: String { "<redacted \(count) bytes>" }
    /// Redacted: never the bytes.
    public var debugDescription: String { description }
    /// Redacted for `dump` and reflection.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
