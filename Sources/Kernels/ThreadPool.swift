import CPlatform

/// The persistent pthread pool of CPlatform/thread_pool.c, seen from Swift. One pool per engine;
/// its threads live as long as the engine, and each parallel loop is split statically.
public final class ThreadPool {
    private let pool: OpaquePointer
    public let size: Int

    /// nil when the threads cannot be started (the caller then runs single-threaded).
    public init?(threads: Int) {
        guard threads >= 1, let pool = ei_thread_pool_create(Int32(threads)) else { return nil }
        self.pool = pool
        self.size = threads
    }

    deinit { ei_thread_pool_destroy(pool) }

    /// Online CPU cores: the default thread count, one thread per core and no more.
    public static var coreCount: Int { Int(ei_cpu_count()) }

    /// The allocation-free form for per-frame loops: fn(context, first, end) on contiguous ranges
    /// covering 0..<count, in parallel. `fn` must be a closure that captures nothing (a C function
    /// pointer); whatever it needs travels in `context`. (The closure form below costs a heap
    /// allocation per call: Swift boxes the context for `withoutActuallyEscaping`.)
    public func parallelFor(_ count: Int, context: UnsafeMutableRawPointer,
                            _ fn: @convention(c) (UnsafeMutableRawPointer?, Int, Int) -> Void) {
        ei_thread_pool_run(pool, count, fn, context)
    }

    /// Calls body(first, end) on contiguous ranges covering 0..<count, in parallel; returns when all
    /// are done. `body` must only write what its own range owns.
    public func parallelFor(_ count: Int, _ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                ei_thread_pool_run(pool, count, { context, first, end in
                    context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(first), Int(end))
                }, pointer)
            }
        }
    }
}
