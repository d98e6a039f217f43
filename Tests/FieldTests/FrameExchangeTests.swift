import CDaemon
import XCTest

final class FrameExchangeTests: XCTestCase {
    func testNewestFrameWinsAndReplacedFramesAreCounted() {
        let x = ei_frame_exchange_create()!
        defer { ei_frame_exchange_destroy(x) }
        var producer: Int32 = 0, consumer: Int32 = 1
        var owners: Set<Int32> = []
        for sequence in 1...3 as ClosedRange<UInt64> {
            ei_frame_exchange_publish(x, &producer, sequence, sequence * 10)
            owners.insert(producer)
        }
        var sequence: UInt64 = 0, captured: UInt64 = 0
        XCTAssertEqual(ei_frame_exchange_take(x, &consumer, 0, &sequence, &captured), 1)
        XCTAssertEqual(sequence, 3)
        XCTAssertEqual(captured, 30)
        XCTAssertNotEqual(consumer, producer, "producer and consumer never share a buffer")
        XCTAssertEqual(ei_frame_exchange_published(x), 3)
        XCTAssertEqual(ei_frame_exchange_dropped(x), 2)
        // Nothing new: the take times out and the consumer keeps its buffer.
        let kept = consumer
        XCTAssertEqual(ei_frame_exchange_take(x, &consumer, 20, &sequence, &captured), 0)
        XCTAssertEqual(consumer, kept)
        ei_frame_exchange_wake(x)
        XCTAssertEqual(ei_frame_exchange_take(x, &consumer, 10_000, &sequence, &captured), 0, "a wake ends the wait without a frame")
    }

    /// A producer thread writes its sequence number into every byte of the buffer it owns; the
    /// consumer must always find its buffer filled with exactly the sequence it was handed.
    func testBuffersAreNeverSharedUnderConcurrency() {
        final class Shared: @unchecked Sendable {
            let exchange = ei_frame_exchange_create()!
            let buffers = UnsafeMutablePointer<UInt64>.allocate(capacity: 3 * 64)
            var stop: Int32 = 0
        }
        let shared = Shared()
        var thread: UInt64 = 0
        XCTAssertEqual(ei_thread_start({ raw in
            let s = Unmanaged<Shared>.fromOpaque(raw!).takeUnretainedValue()
            var producer: Int32 = 0
            var sequence: UInt64 = 0
            while ei_atomic_load(&s.stop) == 0 {
                sequence += 1
                let b = s.buffers + Int(producer) * 64
                for i in 0..<64 { b[i] = sequence }
                ei_frame_exchange_publish(s.exchange, &producer, sequence, 0)
            }
        }, Unmanaged.passUnretained(shared).toOpaque(), &thread), 0)
        var consumer: Int32 = 1
        var last: UInt64 = 0, taken = 0
        while taken < 2000 {
            var sequence: UInt64 = 0, captured: UInt64 = 0
            guard ei_frame_exchange_take(shared.exchange, &consumer, 1000, &sequence, &captured) == 1 else { continue }
            let b = shared.buffers + Int(consumer) * 64
            for i in 0..<64 where b[i] != sequence {
                XCTFail("buffer \(consumer) holds \(b[i]) at \(i), expected \(sequence)")
                break
            }
            XCTAssertGreaterThan(sequence, last)
            last = sequence
            taken += 1
        }
        ei_atomic_store(&shared.stop, 1)
        ei_thread_join(thread)
        var s: UInt64 = 0, c: UInt64 = 0
        let leftOver: UInt64 = ei_frame_exchange_take(shared.exchange, &consumer, 0, &s, &c) == 1 ? 1 : 0
        XCTAssertEqual(ei_frame_exchange_published(shared.exchange) - ei_frame_exchange_dropped(shared.exchange),
                       UInt64(taken) + leftOver, "every frame is either taken or counted as dropped")
        ei_frame_exchange_destroy(shared.exchange)
        shared.buffers.deallocate()
    }

    func testMailboxRefusesWhenFullAndDrainsInOrder() {
        let box = ei_mailbox_create(2)!
        defer { ei_mailbox_destroy(box) }
        let a = UnsafeMutableRawPointer(bitPattern: 0x10)!, b = UnsafeMutableRawPointer(bitPattern: 0x20)!
        XCTAssertEqual(ei_mailbox_post(box, a), 1)
        XCTAssertEqual(ei_mailbox_post(box, b), 1)
        XCTAssertEqual(ei_mailbox_post(box, a), 0, "a full mailbox refuses at once instead of blocking")
        XCTAssertEqual(ei_mailbox_take(box, 0), a)
        XCTAssertEqual(ei_mailbox_take(box, 0), b)
        XCTAssertNil(ei_mailbox_take(box, 10))
        ei_mailbox_close(box)
        XCTAssertEqual(ei_mailbox_post(box, a), 0)
        XCTAssertNil(ei_mailbox_take(box, 10_000), "a closed, empty mailbox returns at once")
    }
}
