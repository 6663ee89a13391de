#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// Work a ``WorkerTeam`` runs on every one of its threads at once (one parallel region).
///
/// `run(_:)` is called once per thread with that thread's ``TeamContext``; the threads share the work out
/// with ``TeamContext/range(_:)`` and wait for each other with ``TeamContext/sync()``. Every thread must
/// call `sync()` the same number of times.
public protocol TeamWork {
    func run(_ context: TeamContext)
}

/// One thread's view of a parallel region: which share of the work is its own, and the barrier.
public struct TeamContext: Sendable {
    /// This thread's part: `part.index` of `part.count` threads.
    public let part: WorkPart
    let barrier: TeamBarrier?

    /// The context of code that runs alone (one part, `sync()` does nothing).
    public static let serial = TeamContext(part: .whole, barrier: nil)

    /// This thread's contiguous share of `0 ..< n`.
    @inlinable public func range(_ n: Int) -> Range<Int> { part.range(n) }

    /// Waits until every thread of the region has reached this point; writes made before are visible after.
    @inline(__always) public func sync() { barrier?.wait(parties: part.count) }

    /// True on the first thread (for work done once, between two `sync()` calls).
    @inlinable public var isFirst: Bool { part.index == 0 }
}

/// A small SPMD team: the calling thread plus `size − 1` helper threads of its own, which run one parallel
/// region (``TeamWork``) together, synchronising with a barrier between its phases.
///
/// Built for the many short phases of one network pass (a single chip's ResNet has about 70 of them in
/// 5 ms), where handing every phase to a thread pool would cost more than the phase:
/// - a region is started once per pass: the helpers spin for a short while (``idleSpin``) after a region,
///   so the next one starts in about a microsecond, then park on a semaphore and cost nothing;
/// - the barrier spins, then yields the core; the helpers are the team's own threads, so every thread of a
///   region always arrives (no pool can leave a part unscheduled) and the barrier cannot deadlock;
/// - a region allocates nothing: the work is handed over as a pointer to the caller's value;
/// - BLAS must run single-threaded inside (``BLASThreads/withSingleThread(_:)``): the team is the parallelism.
///
/// One team serves one caller at a time (``run(_:)`` is not reentrant); give every concurrent caller its own
/// team. Helpers stop when the team is released.
public final class WorkerTeam: @unchecked Sendable {
    /// Threads that run a region, the caller included.
    public let size: Int
    private let state: State

    /// How long a helper keeps spinning for the next region before it parks (seconds).
    public static let idleSpin: Double = 0.000_5

    /// Active processor cores, read once (`ProcessInfo.activeProcessorCount` reads the cgroup files on every
    /// call, allocating as it goes).
    public static let processorCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Starts `size − 1` helper threads (default: one per active core, at most 8).
    public init(size: Int = min(8, WorkerTeam.processorCount)) {
        self.size = max(1, size)
        state = State(size: self.size)
        for index in 1..<self.size {
            let s = state
            let thread = Thread { s.helperLoop(index: index) }
            thread.name = "mynaface-team"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// Runs `work.run(context)` on every thread of the team and returns when all have finished.
    public func run<W: TeamWork>(_ work: W) {
        if size == 1 {
            work.run(TeamContext(part: .whole, barrier: nil))
            return
        }
        withUnsafePointer(to: work) { pointer in state.run(UnsafeRawPointer(pointer), as: W.self) }
    }

    /// The shared state of the caller and the helpers.
    ///
    /// `job` counts regions; a helper runs region `job` when the counter moves. `work` and `kind` are written
    /// before the counter (release) and read after it (acquire); `finished` counts the helpers done with the
    /// current region, so the caller's `work` value outlives every use.
    private final class State: @unchecked Sendable {
        let size: Int
        let job = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let parked = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        let barrier = TeamBarrier()
        var work: UnsafeRawPointer?
        var kind: (any TeamWork.Type)?

        init(size: Int) { self.size = size }

        /// The caller's side of one region (it runs part 0).
        func run(_ pointer: UnsafeRawPointer, as type: any TeamWork.Type) {
            work = pointer
            kind = type
            finished.store(0, ordering: .relaxed)
            job.add(1, ordering: .releasing)
            for _ in 0..<parked.load(ordering: .acquiring) { wake.signal() }
            Self.invoke(type, pointer, TeamContext(part: WorkPart(0, of: size), barrier: barrier))
            var spins = 0
            while finished.load(ordering: .acquiring) < size - 1 {
                spins += 1
                if spins & 1023 == 0 { sched_yield() }
            }
            work = nil
            kind = nil
        }

        static func invoke<W: TeamWork>(_ type: W.Type, _ pointer: UnsafeRawPointer, _ context: TeamContext) {
            pointer.assumingMemoryBound(to: W.self).pointee.run(context)
        }

        /// A helper: wait for a new region (spinning, then parked), run its part, repeat.
        func helperLoop(index: Int) {
            var seen = 0  // not read from `job`: a region published before this thread started is not missed
            while true {
                var idleSince = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while job.load(ordering: .acquiring) == seen {
                    if stopped.load(ordering: .acquiring) { return }
                    spins += 1
                    if spins & 255 == 0,
                       Double(DispatchTime.now().uptimeNanoseconds - idleSince) / 1e9 > WorkerTeam.idleSpin {
                        parked.add(1, ordering: .acquiringAndReleasing)
                        // Re-check after announcing: a region published in between is not missed (its caller
                        // saw `parked` and signals, or we see its counter here).
                        if job.load(ordering: .acquiring) == seen && !stopped.load(ordering: .acquiring) {
                            wake.wait()
                        }
                        parked.subtract(1, ordering: .acquiringAndReleasing)
                        idleSince = DispatchTime.now().uptimeNanoseconds
                    }
                }
                seen = job.load(ordering: .acquiring)
                if let pointer = work, let kind {
                    Self.invoke(kind, pointer, TeamContext(part: WorkPart(index, of: size), barrier: barrier))
                }
                finished.add(1, ordering: .releasing)
            }
        }

        func stop() {
            stopped.store(true, ordering: .releasing)
            for _ in 0..<size { wake.signal() }
        }
    }
}

/// A reusable barrier for the threads of one region: spins, then yields the core while it waits.
final class TeamBarrier: @unchecked Sendable {
    private let arrived = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)

    /// Waits until `parties` threads have called `wait`; the last one releases the others.
    func wait(parties: Int) {
        let current = generation.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == parties {
            arrived.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            return
        }
        var spins = 0
        while generation.load(ordering: .acquiring) == current {
            spins += 1
            if spins & 1023 == 0 { sched_yield() }
        }
    }
}

/// One part of shared work: which share of it a thread does.
public struct WorkPart: Sendable, Equatable {
    /// This part's number, `0 ..< count`.
    public let index: Int
    /// How many parts share the work.
    public let count: Int

    /// Part `index` of `count`.
    public init(_ index: Int, of count: Int) {
        precondition(count >= 1 && index >= 0 && index < count)
        self.index = index; self.count = count
    }

    /// The whole work as one part.
    public static let whole = WorkPart(0, of: 1)

    /// This part's contiguous share of `0 ..< n` (shares differ by at most one item).
    @inlinable public func range(_ n: Int) -> Range<Int> { (n * index / count)..<(n * (index + 1) / count) }
}
