import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Control of the BLAS library's own thread pool (OpenBLAS's `openblas_set_num_threads`, looked up at run
/// time so that any BLAS works; a BLAS without it is left alone and `OPENBLAS_NUM_THREADS` applies).
package enum BLASThreads {
    private typealias SetFn = @convention(c) (Int32) -> Void
    private typealias GetFn = @convention(c) () -> Int32

    /// A symbol of the process's global scope (the main program and every library it loaded).
    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(handle, name)
    }

    /// Looked up once: every embedding and detection sets and restores the count.
    private static let setter = symbol("openblas_set_num_threads").map { unsafeBitCast($0, to: SetFn.self) }
    private static let getter = symbol("openblas_get_num_threads").map { unsafeBitCast($0, to: GetFn.self) }

    /// Sets the number of threads BLAS calls may use. Returns false when the BLAS has no such control.
    @discardableResult
    package static func set(_ count: Int) -> Bool {
        guard count > 0, let setter else { return false }
        setter(Int32(count))
        return true
    }

    /// The current BLAS thread count, or nil when unknown.
    package static var current: Int? { getter.map { Int($0()) } }

    /// Runs `body` with BLAS set to one thread, for code that runs its own threads (a ``WorkerTeam`` or
    /// `concurrentPerform`) so that the two thread pools do not compete for the cores. The previous count is
    /// restored when the last overlapping caller leaves (overlapping callers do not restore each other's
    /// setting).
    package static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        SingleThreaded.enter()
        defer { SingleThreaded.leave() }
        return try body()
    }

    private enum SingleThreaded {
        private final class State: @unchecked Sendable {
            let lock = NSLock()
            var depth = 0
            var saved: Int?
        }
        private static let state = State()

        static func enter() {
            state.lock.lock()
            defer { state.lock.unlock() }
            if state.depth == 0 {
                state.saved = BLASThreads.current
                if let saved = state.saved, saved != 1 { BLASThreads.set(1) }
            }
            state.depth += 1
        }

        static func leave() {
            state.lock.lock()
            defer { state.lock.unlock() }
            state.depth -= 1
            if state.depth == 0, let saved = state.saved, saved != 1 { BLASThreads.set(saved) }
        }
    }
}
