import Dispatch
import Foundation
import Testing

@testable import NeuralCore

/// Team work from a closure (tests only: the library hands over structs so that a region allocates nothing).
private struct Region: TeamWork {
    let body: (TeamContext) -> Void
    func run(_ context: TeamContext) { body(context) }
}

/// A buffer the threads of a region write in disjoint ranges.
private final class Shared: @unchecked Sendable {
    var values: [Int]
    init(count: Int) { values = Array(repeating: -1, count: count) }
}

@Suite("worker team")
struct WorkerTeamTests {
    @Test("every thread runs its own part, and after sync() sees what the others wrote", arguments: [1, 2, 3])
    func partsAndBarrier(size: Int) {
        let team = WorkerTeam(size: size)
        let n = 1000
        let shared = Shared(count: n)
        for round in 0..<300 {
            var seenParts = [Int](repeating: 0, count: size)
            var sums = [Int](repeating: 0, count: size)
            shared.values.withUnsafeMutableBufferPointer { valuesBuffer in
                seenParts.withUnsafeMutableBufferPointer { partsBuffer in
                    sums.withUnsafeMutableBufferPointer { totalsBuffer in
                        let values = valuesBuffer.baseAddress!
                        let parts = partsBuffer.baseAddress!
                        let totals = totalsBuffer.baseAddress!
                        team.run(
                            Region { context in
                                #expect(context.part.count == size)
                                parts[context.part.index] += 1
                                for i in context.range(n) { values[i] = i + round }
                                context.sync()
                                var total = 0
                                for i in 0..<n { total += values[i] }  // every part's writes, not only its own
                                context.sync()
                                for i in context.range(n) { values[i] = -1 }
                                totals[context.part.index] = total
                            })
                    }
                }
            }
            #expect(seenParts == [Int](repeating: 1, count: size))
            #expect(sums == [Int](repeating: n * (n - 1) / 2 + n * round, count: size))
        }
    }

    @Test(
        "shared loops hand every item to exactly one thread, loop after loop, without a sync between them",
        arguments: [1, 2, 3])
    func sharedLoops(size: Int) {
        let team = WorkerTeam(size: size)
        let counts = [0, 1, 7, 100, 3]  // consecutive loops of different lengths, one of them empty
        let shared = Shared(count: counts.reduce(0, +))
        for round in 0..<200 {
            shared.values.withUnsafeMutableBufferPointer { buffer in
                let claims = buffer.baseAddress!
                for i in buffer.indices { claims[i] = 0 }
                team.run(
                    Region { context in
                        var base = 0
                        for n in counts {
                            for item in context.shared(n) {
                                #expect(item >= 0 && item < n)
                                claims[base + item] += 1 + context.part.index * 1000
                            }
                            base += n
                        }
                    })
            }
            #expect(shared.values.allSatisfy { $0 % 1000 == 1 }, "round \(round): an item claimed twice or never")
        }
    }

    @Test("a thread held up outside the work leaves its share of a shared loop to the others")
    func sharedLoopBalances() {
        let team = WorkerTeam(size: 2)
        let shared = Shared(count: 2)
        shared.values.withUnsafeMutableBufferPointer { buffer in
            let done = buffer.baseAddress!
            done[0] = 0
            done[1] = 0
            team.run(
                Region { context in
                    if !context.isFirst { usleep(200_000) }  // the helper's core is "taken" for 200 ms
                    for _ in context.shared(64) { done[context.part.index] += 1 }
                })
        }
        #expect(shared.values[0] + shared.values[1] == 64)
        #expect(shared.values[0] == 64, "the caller should have taken every item while the helper was held up")
    }

    @Test("a new team runs its first region at once (a region published before its helpers started is not missed)")
    func firstRegion() {
        let done = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<50 {
                let team = WorkerTeam(size: 2)
                team.run(Region { $0.sync() })
            }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 60) == .success, "a team's first region hung")
    }

    @Test("a team of one runs the work on the caller with the serial context")
    func single() {
        let team = WorkerTeam(size: 1)
        var calls = 0
        team.run(
            Region { context in
                calls += 1
                #expect(context.part == .whole && context.isFirst)
                context.sync()
            })
        #expect(calls == 1)
    }

    @Test(
        "convolution and Winograd shared out by a team: Winograd equals the serial result exactly, im2col + GEMM to rounding"
    )
    func sharedLayers() throws {
        var seed: UInt32 = 11
        func rnd() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int(seed >> 9) % 2001 - 1000) / 1000
        }
        for n in [1, 3] {
            let shape = TensorShape(n: n, c: 8, h: 21, w: 19)
            let x = (0..<shape.count).map { _ in rnd() }
            let conv = try Convolution(
                inChannels: 8, outChannels: 12, kernelHeight: 3, kernelWidth: 3, padY: 1, padX: 1,
                weights: (0..<(12 * 8 * 9)).map { _ in rnd() }, bias: (0..<12).map { _ in rnd() },
                relu: true)
            let wino = try #require(Winograd3x3(conv))
            let out = conv.outputShape(for: shape)!
            func run(_ team: WorkerTeam?, winograd: Bool) -> [Float] {
                var y = [Float](repeating: .nan, count: out.count)
                let parts = team?.size ?? 1
                var scratch = [Float](
                    repeating: 0,
                    count: max(
                        conv.scratchCount(for: shape, layout: .cnhw),
                        wino.scratchCount(for: shape, parts: parts)))
                x.withUnsafeBufferPointer { src in
                    y.withUnsafeMutableBufferPointer { dstBuffer in
                        scratch.withUnsafeMutableBufferPointer { tmpBuffer in
                            let dst = dstBuffer
                            let tmp = tmpBuffer
                            let body = { (context: TeamContext) in
                                if winograd {
                                    wino.forward(
                                        src, shape: shape, layout: .cnhw, output: dst, scratch: tmp, context: context)
                                } else {
                                    conv.forward(
                                        src, shape: shape, layout: .cnhw, output: dst, scratch: tmp, context: context)
                                }
                            }
                            if let team { team.run(Region(body: body)) } else { body(.serial) }
                        }
                    }
                }
                return y
            }
            let team = WorkerTeam(size: 3)
            let serialDirect = run(nil, winograd: false)
            let teamDirect = run(team, winograd: false)
            let serialWino = run(nil, winograd: true)
            let teamWino = run(team, winograd: true)
            #expect(teamWino == serialWino)
            #expect(zip(teamDirect, serialDirect).allSatisfy { abs($0 - $1) <= 1e-5 })
            #expect(zip(serialWino, serialDirect).allSatisfy { abs($0 - $1) <= 1e-4 })
            #expect(!teamDirect.contains { $0.isNaN })
        }
    }
}
