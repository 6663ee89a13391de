#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Control of the BLAS library's own thread pool (OpenBLAS's `openblas_set_num_threads`, looked up at run
/// time so that any BLAS works; a BLAS without it is left alone and `OPENBLAS_NUM_THREADS` applies).
public enum BLASThreads {
    private typealias SetFn = @convention(c) (Int32) -> Void
    private typealias GetFn = @convention(c) () -> Int32

    /// The process's global symbol scope (the main program and every library it loaded).
    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(handle, name)
    }

    /// Sets the number of threads BLAS calls may use. Returns false when the BLAS has no such control.
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        guard count > 0, let sym = symbol("openblas_set_num_threads") else { return false }
        unsafeBitCast(sym, to: SetFn.self)(Int32(count))
        return true
    }

    /// The current BLAS thread count, or nil when unknown.
    public static var current: Int? {
        guard let sym = symbol("openblas_get_num_threads") else { return nil }
        return Int(unsafeBitCast(sym, to: GetFn.self)())
    }
}
