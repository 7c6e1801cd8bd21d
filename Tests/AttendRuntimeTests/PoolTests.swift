import AttendRuntime
import Foundation
import Testing

/// What the tasks of one `attend_parallel_for` saw: every index's visits and every chunk.
/// Tasks write `counts` through a raw pointer (disjoint chunks, disjoint elements) and
/// append to `chunks` under the lock.
final class Visits: @unchecked Sendable {
    let begin: Int64
    let length: Int
    let counts: UnsafeMutablePointer<Int32>
    var chunks: [(Int64, Int64)] = []
    let lock = NSLock()
    var nested: OpaquePointer?

    init(begin: Int64, end: Int64) {
        self.begin = begin
        length = Int(max(0, end - begin))
        counts = .allocate(capacity: max(length, 1))
        counts.initialize(repeating: 0, count: max(length, 1))
    }

    deinit { counts.deallocate() }

    var allOnce: Bool { UnsafeBufferPointer(start: counts, count: length).allSatisfy { $0 == 1 } }
}

/// Marks [begin, end) visited.
func visitChunk(_ context: UnsafeMutableRawPointer?, _ begin: Int64, _ end: Int64) {
    let visits = Unmanaged<Visits>.fromOpaque(context!).takeUnretainedValue()
    for i in begin..<end { visits.counts[Int(i - visits.begin)] += 1 }
    visits.lock.lock()
    visits.chunks.append((begin, end))
    visits.lock.unlock()
}

/// A sum of i*i over the chunk, added to the total under the lock.
final class Sum: @unchecked Sendable {
    var total: Int64 = 0
    let lock = NSLock()
}

func sumChunk(_ context: UnsafeMutableRawPointer?, _ begin: Int64, _ end: Int64) {
    let sum = Unmanaged<Sum>.fromOpaque(context!).takeUnretainedValue()
    var local: Int64 = 0
    for i in begin..<end { local &+= i &* i }
    sum.lock.lock()
    sum.total &+= local
    sum.lock.unlock()
}

func createPool(_ threads: Int) throws(RuntimeError) -> OpaquePointer {
    var error = ErrorBuffer()
    guard let pool = attend_pool_create(Int32(threads), &error.bytes) else { throw RuntimeError(message: error.text) }
    return pool
}

func visit(_ pool: OpaquePointer?, _ begin: Int64, _ end: Int64) -> Visits {
    let visits = Visits(begin: begin, end: max(begin, end))
    let context = Unmanaged.passRetained(visits)
    attend_parallel_for(pool, begin, end, visitChunk, context.toOpaque())
    context.release()
    return visits
}

@Suite struct PoolTests {
    @Test(arguments: [1, 2, 4, 7])
    func coversTheRangeOnceInContiguousChunks(threads: Int) throws {
        let pool = try createPool(threads)
        defer { attend_pool_destroy(pool) }
        #expect(attend_pool_threads(pool) == Int32(threads))
        for (begin, end) in [(0, 100_000), (-37, 1000), (5, 6), (0, 3), (10, 10), (10, 3)] as [(Int64, Int64)] {
            let visits = visit(pool, begin, end)
            #expect(visits.allOnce, "[\(begin), \(end)) with \(threads) threads")
            #expect(visits.chunks.count <= 4 * threads)
            #expect(visits.chunks.allSatisfy { $0.0 < $0.1 })
            #expect(visits.chunks.map { $0.1 - $0.0 }.reduce(0, +) == max(0, end - begin))
        }
        // Balanced: with n >= 4 x threads there are 4 chunks per thread (one for a single
        // thread, which runs inline), of n/chunks elements or one more.
        let chunks = visit(pool, 0, 100_003).chunks
        let count = threads == 1 ? 1 : 4 * threads
        #expect(chunks.count == count)
        #expect(chunks.allSatisfy { $0.1 - $0.0 == 100_003 / Int64(count) || $0.1 - $0.0 == 100_003 / Int64(count) + 1 })
    }

    @Test(arguments: [1, 2, 4])
    func sumsMatchOnRepeatedCalls(threads: Int) throws {
        let pool = try createPool(threads)
        defer { attend_pool_destroy(pool) }
        let n: Int64 = 1 << 14
        let expected = (0..<n).reduce(Int64(0)) { $0 &+ $1 &* $1 }
        for _ in 0..<200 {
            let sum = Sum()
            let context = Unmanaged.passRetained(sum)
            attend_parallel_for(pool, 0, n, sumChunk, context.toOpaque())
            context.release()
            #expect(sum.total == expected)
            if sum.total != expected { break }
        }
    }

    @Test func inlineWithoutAPool() {
        let visits = visit(nil, 3, 103)
        #expect(visits.chunks.count == 1 && visits.chunks[0] == (3, 103))
        #expect(attend_pool_threads(nil) == 1)
        attend_pool_destroy(nil)
    }

    @Test func nestedCallsRunInline() throws {
        let pool = try createPool(4)
        defer { attend_pool_destroy(pool) }
        // A task that calls back into its own pool must not deadlock.
        let outer: attend_task = { context, begin, end in
            let visits = Unmanaged<Visits>.fromOpaque(context!).takeUnretainedValue()
            for i in begin..<end {
                let inner = Visits(begin: 0, end: 100)
                let innerContext = Unmanaged.passRetained(inner)
                attend_parallel_for(visits.nested, 0, 100, visitChunk, innerContext.toOpaque())
                innerContext.release()
                visits.counts[Int(i)] = inner.allOnce && inner.chunks.count == 1 ? 1 : 99
            }
        }
        let visits = Visits(begin: 0, end: 16)
        visits.nested = pool
        let context = Unmanaged.passRetained(visits)
        attend_parallel_for(pool, 0, 16, outer, context.toOpaque())
        context.release()
        #expect(visits.allOnce)
    }

    @Test func badThreadCountsAreErrors() throws {
        for threads in [0, -1, 1_000_000] {
            #expect(throws: RuntimeError(message: "invalid thread count \(threads) (expected 1 to 1024)")) { try createPool(threads) }
        }
        // Every valid count creates a pool, and destroying it leaves nothing behind.
        for threads in 1...8 {
            attend_pool_destroy(try createPool(threads))
        }
    }
}

@Suite struct ArenaAndClockTests {
    @Test func arenaIsAlignedAndZeroed() {
        for floats in [0, 1, 15, 16, 17, 1000, 1 << 20] {
            var error = ErrorBuffer()
            guard let arena = attend_arena_create(floats, &error.bytes) else {
                Issue.record("arena of \(floats): \(error.text)")
                continue
            }
            #expect(Int(bitPattern: arena) % 64 == 0)
            let buffer = UnsafeMutableBufferPointer(start: arena, count: floats)
            #expect(buffer.allSatisfy { $0 == 0 })
            for i in buffer.indices { buffer[i] = Float(i) } // writable to the end
            attend_arena_destroy(arena)
        }
        attend_arena_destroy(nil)
        var error = ErrorBuffer()
        #expect(attend_arena_create(Int.max, &error.bytes) == nil)
        #expect(error.text.contains("is too large (the byte count overflows)"))
    }

    @Test func clockIsMonotonic() {
        var previous = attend_now_ns()
        #expect(previous > 0)
        for _ in 0..<1000 {
            let now = attend_now_ns()
            #expect(now >= previous)
            previous = now
        }
        let start = attend_now_ns()
        usleep(20_000)
        let elapsed = attend_now_ns() - start
        #expect(elapsed >= 19_000_000 && elapsed < 5_000_000_000)
    }
}
