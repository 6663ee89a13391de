/// At most `limit` pieces of face work at once; up to `queue` more wait in order; beyond that, callers are refused.
actor ConcurrencyGate {
    private let limit: Int
    private let queue: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int, queue: Int) {
        self.limit = limit
        self.queue = queue
    }

    /// Takes a slot, waiting if needed; false when the queue is full.
    func enter() async -> Bool {
        if running < limit {
            running += 1
            return true
        }
        guard waiters.count < queue else { return false }
        await withCheckedContinuation { waiters.append($0) }
        return true
    }

    /// Gives the slot to the next waiter, or frees it.
    func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
