import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Work a ``WorkerTeam`` runs on every one of its threads at once (one parallel region).
///
/// `run(_:)` is called once per thread with that thread's ``TeamContext``; the threads share the work out
/// with ``TeamContext/range(_:)`` and wait for each other with ``TeamContext/sync()``. Every thread must
/// call `sync()` the same number of times.
package protocol TeamWork {
    func run(_ context: TeamContext)
}

/// One thread's view of a parallel region: which share of the work is its own, and the barrier.
package struct TeamContext: Sendable {
    /// This thread's part: `part.index` of `part.count` threads.
    package let part: WorkPart
    let barrier: TeamBarrier?
    let queue: TeamQueue?

    init(part: WorkPart, barrier: TeamBarrier?, queue: TeamQueue? = nil) {
        self.part = part
        self.barrier = barrier
        self.queue = queue
    }

    /// The context of code that runs alone (one part, `sync()` does nothing).
    package static let serial = TeamContext(part: .whole, barrier: nil)

    /// This thread's contiguous share of `0 ..< n`.
    @inlinable package func range(_ n: Int) -> Range<Int> { part.range(n) }

    /// Items `0 ..< n` handed out one at a time to whichever thread asks first: every item goes to exactly
    /// one thread, and a thread whose core is slow or taken away for a while does fewer of them instead of
    /// holding the others up at the next `sync()` (a static ``range(_:)`` share waits for its slowest
    /// thread). Every thread of the region must start the same shared loops in the same order (as with
    /// `sync()`); an item's results are visible to the other threads after the next `sync()`.
    package func shared(_ n: Int) -> SharedItems { SharedItems(count: n, queue: queue, part: part) }

    /// Waits until every thread of the region has reached this point; writes made before are visible after.
    @inline(__always) public func sync() { barrier?.wait(parties: part.count) }

    /// True on the first thread (for work done once, between two `sync()` calls).
    @inlinable package var isFirst: Bool { part.index == 0 }
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
package final class WorkerTeam: @unchecked Sendable {
    /// Threads that run a region, the caller included.
    package let size: Int
    private let state: State

    /// How long a helper keeps spinning for the next region before it parks (seconds).
    package static let idleSpin: Double = 0.000_5

    /// Active processor cores, read once (`ProcessInfo.activeProcessorCount` reads the cgroup files on every
    /// call, allocating as it goes).
    package static let processorCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Starts `size − 1` helper threads (default: one per active core, at most 8).
    package init(size: Int = min(8, WorkerTeam.processorCount)) {
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
    package func run<W: TeamWork>(_ work: W) {
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
        /// Bit `i` set while helper `i` is parked (or about to park) on `wakes[i]`.
        let parked = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
        /// One semaphore per helper: a wake-up meant for one helper can never be taken by another (with one
        /// shared semaphore, a helper that ran a region and parked again before a slower one woke could take
        /// the slower one's signal, leaving it asleep and the region unfinished).
        let wakes: [DispatchSemaphore]
        let barrier = TeamBarrier()
        let queue: TeamQueue
        var work: UnsafeRawPointer?
        var kind: (any TeamWork.Type)?

        init(size: Int) {
            precondition(size <= Int.bitWidth)
            self.size = size
            queue = TeamQueue(size: size)
            wakes = (0..<size).map { _ in DispatchSemaphore(value: 0) }
        }

        /// The caller's side of one region (it runs part 0).
        func run(_ pointer: UnsafeRawPointer, as type: any TeamWork.Type) {
            work = pointer
            kind = type
            finished.store(0, ordering: .relaxed)
            queue.reset()
            job.add(1, ordering: .sequentiallyConsistent)
            let sleeping = parked.load(ordering: .sequentiallyConsistent)
            if sleeping != 0 {
                for index in 1..<size where sleeping & (1 << index) != 0 { wakes[index].signal() }
            }
            Self.invoke(type, pointer, TeamContext(part: WorkPart(0, of: size), barrier: barrier, queue: queue))
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
                        Double(DispatchTime.now().uptimeNanoseconds - idleSince) / 1e9 > WorkerTeam.idleSpin
                    {
                        parked.bitwiseOr(1 << index, ordering: .sequentiallyConsistent)
                        // Re-check after announcing: a region published in between is not missed (its caller
                        // saw our bit and signals, or we see its counter here). A signal that arrives after we
                        // saw the counter only makes the next park return at once, and we park again.
                        if job.load(ordering: .sequentiallyConsistent) == seen && !stopped.load(ordering: .acquiring) {
                            wakes[index].wait()
                        }
                        parked.bitwiseAnd(~(1 << index), ordering: .sequentiallyConsistent)
                        idleSince = DispatchTime.now().uptimeNanoseconds
                    }
                }
                seen = job.load(ordering: .acquiring)
                if let pointer = work, let kind {
                    Self.invoke(
                        kind, pointer, TeamContext(part: WorkPart(index, of: size), barrier: barrier, queue: queue))
                }
                finished.add(1, ordering: .releasing)
            }
        }

        func stop() {
            stopped.store(true, ordering: .releasing)
            for wake in wakes { wake.signal() }
        }
    }
}

/// The items of one shared loop of a region (see ``TeamContext/shared(_:)``), as a sequence of indices.
package struct SharedItems: Sequence {
    let count: Int
    let queue: TeamQueue?
    let part: WorkPart

    /// An iterator that claims this thread's items as it goes (start it once per loop and thread).
    package func makeIterator() -> Iterator {
        Iterator(count: count, queue: queue, loop: queue?.beginLoop(part: part.index) ?? 0)
    }

    /// Claims the next unclaimed item on every call.
    package struct Iterator: IteratorProtocol {
        let count: Int
        let queue: TeamQueue?
        let loop: Int
        var serialNext = 0

        /// The next item this thread claimed, or nil when every item is taken.
        package mutating func next() -> Int? {
            guard let queue else {  // alone: every item, in order
                defer { serialNext += 1 }
                return serialNext < count ? serialNext : nil
            }
            return queue.claim(loop: loop, count: count)
        }
    }
}

/// The claim counter of a region's shared loops. Loops are numbered per thread in the order each thread
/// starts them (every thread starts the same loops), and one atomic word holds (loop number, next item):
/// the first thread to start loop `l` resets the item count; a thread still asking in loop `l` after
/// another has moved on to `l + 1` is told loop `l` is exhausted, which is true, since a thread leaves a
/// loop only when no item is left.
final class TeamQueue: @unchecked Sendable {
    private let word = Atomic<Int>(0)
    private let size: Int
    /// Each thread's count of loops started in this region, 128 bytes apart (only its thread writes it; two
    /// cache lines, as the hardware may fetch lines in pairs).
    private let loops: UnsafeMutablePointer<Int>
    private static let lineInts = 16

    init(size: Int) {
        self.size = size
        loops = .allocate(capacity: size * Self.lineInts)
        loops.initialize(repeating: 0, count: size * Self.lineInts)
    }

    deinit { loops.deallocate() }

    /// Called by the region's caller before it publishes the region (the publication orders it).
    func reset() {
        word.store(0, ordering: .relaxed)
        for i in 0..<size { loops[i * Self.lineInts] = 0 }
    }

    /// The number of the loop thread `part` starts now (1, 2, … within a region).
    func beginLoop(part: Int) -> Int {
        loops[part * Self.lineInts] += 1
        return loops[part * Self.lineInts]
    }

    /// The next item of loop `loop` (of `count`), or nil when all are taken.
    func claim(loop: Int, count: Int) -> Int? {
        var current = word.load(ordering: .relaxed)
        while true {
            let owner = current >> 32
            if owner > loop { return nil }
            let item = owner < loop ? 0 : current & 0xFFFF_FFFF
            if item >= count { return nil }
            let (done, seen) = word.compareExchange(
                expected: current, desired: loop << 32 | (item + 1),
                ordering: .relaxed)
            if done { return item }
            current = seen
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
package struct WorkPart: Sendable, Equatable {
    /// This part's number, `0 ..< count`.
    package let index: Int
    /// How many parts share the work.
    package let count: Int

    /// Part `index` of `count`.
    package init(_ index: Int, of count: Int) {
        precondition(count >= 1 && index >= 0 && index < count)
        self.index = index
        self.count = count
    }

    /// The whole work as one part.
    package static let whole = WorkPart(0, of: 1)

    /// This part's contiguous share of `0 ..< n` (shares differ by at most one item).
    @inlinable package func range(_ n: Int) -> Range<Int> { (n * index / count)..<(n * (index + 1) / count) }
}
