import Glibc
import NIOPosix
import Ports
import Synchronization

/// The live `DurableSpool`: append-only segment files in one directory, group-committed with `fdatasync`.
///
/// Layout: `seg-<20 digits>.log` files of framed records (see `SpoolFrame`), a `checkpoint` file naming
/// the last acknowledged position, and a `lock` file held with `flock` while the spool is open.
///
/// Appends queue their framed record under a lock; one writer (a dedicated thread, never the Swift
/// concurrency pool) takes everything queued, writes it with one `write`, syncs once, and resumes all those
/// appenders; whatever queued meanwhile goes in the next round. A new segment starts once the current one
/// has reached `maxSegmentBytes`. Reads and acknowledgements run on a second thread, so a drainer never
/// waits behind a sync; they see only synced bytes.
///
/// A failed write or sync stops the spool (`FileSpoolError.failed`): after a failed `fdatasync` the kernel
/// may have dropped the dirty pages, so retrying could report as durable what is not. Reopening recovers
/// every record that reached the disk.
public final class FileSpool: DurableSpool {
    public let directory: String
    public let maxSegmentBytes: UInt64
    public let maxPendingBytes: Int
    /// Bytes cut from the end of the newest segment when the spool was opened (a torn write that no
    /// appender had been told was stored).
    public let truncatedTailBytes: UInt64

    struct Segment: Sendable {
        var id: UInt64
        /// Synced bytes; for the newest segment the writer may have written more.
        var size: UInt64
    }

    struct State {
        /// Oldest first, from the acknowledged position's segment; the last one is being written.
        var segments: [Segment]
        var acknowledged: SpoolPosition
        /// Synced and not acknowledged.
        var pendingBytes: Int
        /// Framed records waiting for the writer, and their appenders.
        var queue: [UInt8] = []
        var queuedAppenders: [CheckedContinuation<Void, any Error>] = []
        /// Bytes the writer is writing and syncing right now.
        var inFlightBytes = 0
        var writing = false
        var writeFD: Int32
        var lockFD: Int32
        var failure: FileSpoolError?
        var closed = false
        var syncs = 0
        var dataWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<UInt64> = []
        var nextWaiterID: UInt64 = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// Batch ends `next` handed out since the last acknowledgement: the only positions `acknowledge`
        /// accepts besides a segment's end, since a checkpoint inside a record would make recovery cut
        /// everything after it.
        var issuedEnds: Set<SpoolPosition> = []

        var end: SpoolPosition { SpoolPosition(segment: segments[segments.count - 1].id, offset: segments[segments.count - 1].size) }
    }

    let state: Mutex<State>
    let writerThread = NIOThreadPool(numberOfThreads: 1)
    let readerThread = NIOThreadPool(numberOfThreads: 1)

    /// Opens (creating it if needed) the spool in `directory`, recovering what a previous run left: a torn
    /// tail of the newest segment is cut off; a corrupt record anywhere else throws `FileSpoolError.corrupt`.
    /// Throws `FileSpoolError.locked` when another spool has the directory open.
    public init(directory: String, maxSegmentBytes: Int = 64 << 20, maxPendingBytes: Int = 512 << 20) throws {
        precondition(maxSegmentBytes > 0 && maxPendingBytes > 0)
        self.directory = directory
        self.maxSegmentBytes = UInt64(maxSegmentBytes)
        self.maxPendingBytes = maxPendingBytes
        try Self.makeDirectory(directory)
        let lockPath = directory + "/lock"
        let lockFD = try Posix.open(lockPath, O_CREAT | O_RDWR)
        // A lock held a moment longer than its owner (a process that is exiting, or a child being spawned that
        // copied the descriptor just before it was closed and drops it at exec) is waited for, up to 2 seconds.
        var attempts = 0
        while flock(lockFD, LOCK_EX | LOCK_NB) < 0 {
            let err = errno
            if err == EWOULDBLOCK && attempts < 100 {
                attempts += 1
                usleep(20_000)
                continue
            }
            Posix.close(lockFD)
            if err == EWOULDBLOCK { throw FileSpoolError.locked(directory: directory) }
            throw FileSpoolError.io(operation: "flock", path: lockPath, errno: err)
        }
        let recovered: Recovered
        do { recovered = try Self.recover(directory: directory) } catch {
            Posix.close(lockFD)
            throw error
        }
        truncatedTailBytes = recovered.truncatedBytes
        state = Mutex(State(segments: recovered.segments, acknowledged: recovered.acknowledged,
                            pendingBytes: recovered.pendingBytes, writeFD: recovered.writeFD, lockFD: lockFD))
        writerThread.start()
        readerThread.start()
    }

    deinit {
        // Nothing can be queued or in flight here: both hold a reference to the spool.
        state.withLock { s in
            if s.writeFD >= 0 { Posix.close(s.writeFD) }
            if s.lockFD >= 0 { Posix.close(s.lockFD) }
        }
        // A NIOThreadPool must be stopped before it is released; shutting down twice is harmless.
        writerThread.shutdownGracefully { _ in }
        readerThread.shutdownGracefully { _ in }
    }

    public var pendingBytes: Int { state.withLock { $0.pendingBytes } }

    /// How many `fdatasync` rounds the appends have taken so far (each covers every append queued before it).
    public var syncCount: Int { state.withLock { $0.syncs } }

    public func append(_ record: [UInt8]) async throws {
        guard record.count <= SpoolFrame.maxPayload else {
            throw FileSpoolError.recordTooLarge(bytes: record.count, limit: SpoolFrame.maxPayload)
        }
        let header = SpoolFrame.header(for: record)
        let framedSize = header.count + record.count
        // Not cancellable: once queued, the record will be written, and the caller must not conclude otherwise.
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
            enum Outcome { case fail(any Error), queued, startWriter }
            let outcome: Outcome = state.withLock { s in
                if let failure = s.failure { return .fail(failure) }
                if s.closed { return .fail(FileSpoolError.closed(directory: directory)) }
                let waiting = s.pendingBytes + s.inFlightBytes + s.queue.count
                if waiting + framedSize > maxPendingBytes {
                    return .fail(SpoolFull(pendingBytes: waiting, maxPendingBytes: maxPendingBytes))
                }
                s.queue.append(contentsOf: header)
                s.queue.append(contentsOf: record)
                s.queuedAppenders.append(cont)
                if s.writing { return .queued }
                s.writing = true
                return .startWriter
            }
            switch outcome {
            case .fail(let error): cont.resume(throwing: error)
            case .queued: break
            case .startWriter:
                writerThread.submit { work in
                    // Only when the pool was shut down under us: never write from the submitting thread.
                    guard case .active = work else { return self.fail(nil, FileSpoolError.closed(directory: self.directory)) }
                    self.writeQueued()
                }
            }
        }
    }

    /// Stops accepting appends, waits for queued ones to be synced, and releases the files and the lock.
    /// Reopening the directory afterwards (even in this process) recovers every unacknowledged record.
    public func close() async {
        let writing: Bool = state.withLock { s in
            s.closed = true
            return s.writing
        }
        wakeReaders()
        if writing {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let idle: Bool = state.withLock { s in
                    if !s.writing { return true }
                    s.idleWaiters.append(cont)
                    return false
                }
                if idle { cont.resume() }
            }
        }
        try? await writerThread.shutdownGracefully()
        try? await readerThread.shutdownGracefully()
        state.withLock { s in
            if s.writeFD >= 0 { Posix.close(s.writeFD); s.writeFD = -1 }
            if s.lockFD >= 0 { Posix.close(s.lockFD); s.lockFD = -1 }
        }
    }

    // MARK: The writer (runs on `writerThread` only)

    private struct Round {
        var bytes: [UInt8]
        var appenders: [CheckedContinuation<Void, any Error>]
        var fd: Int32
        var segment: Segment
    }

    /// Writes and syncs rounds of queued records until the queue is empty.
    private func writeQueued() {
        while true {
            enum Next { case round(Round), idle([CheckedContinuation<Void, Never>]) }
            // Going idle happens under the same lock that finds the queue empty, so an append that
            // sees `writing == true` is always picked up by this loop.
            let next: Next = state.withLock { s in
                guard !s.queue.isEmpty else {
                    s.writing = false
                    defer { s.idleWaiters = [] }
                    return .idle(s.idleWaiters)
                }
                let round = Round(bytes: s.queue, appenders: s.queuedAppenders, fd: s.writeFD, segment: s.segments[s.segments.count - 1])
                s.queue = []
                s.queue.reserveCapacity(round.bytes.count)
                s.queuedAppenders = []
                s.inFlightBytes = round.bytes.count
                return .round(round)
            }
            guard case .round(let round) = next else {
                if case .idle(let waiters) = next { for w in waiters { w.resume() } }
                return
            }
            var fd = round.fd
            var segment = round.segment
            var path = segmentPath(segment.id)
            do {
                if segment.size >= maxSegmentBytes {
                    segment = Segment(id: segment.id + 1, size: 0)
                    path = segmentPath(segment.id)
                    fd = try Posix.open(path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND)
                    try Posix.syncDirectory(directory)
                }
                try Posix.writeAll(fd, round.bytes, path: path)
                try Posix.dataSync(fd, path: path)
            } catch {
                if fd != round.fd { Posix.close(fd) }
                fail(round, error)
                return
            }
            let oldFD: Int32? = state.withLock { s in
                var old: Int32?
                if fd != round.fd {
                    old = s.writeFD
                    s.writeFD = fd
                    s.segments.append(Segment(id: segment.id, size: UInt64(round.bytes.count)))
                } else {
                    s.segments[s.segments.count - 1].size += UInt64(round.bytes.count)
                }
                s.pendingBytes += round.bytes.count
                s.inFlightBytes = 0
                s.syncs += 1
                return old
            }
            if let oldFD { Posix.close(oldFD) }
            for a in round.appenders { a.resume() }
            wakeReaders()
        }
    }

    /// Stops the spool after a failed write or sync: this round's appenders get the error, queued and later
    /// ones get `FileSpoolError.failed`.
    private func fail(_ round: Round?, _ error: any Error) {
        let failure = FileSpoolError.failed(directory: directory, cause: "\(error)")
        let (queued, idle) = state.withLock { s in
            s.failure = failure
            s.inFlightBytes = 0
            s.writing = false
            defer { s.queuedAppenders = []; s.queue = []; s.idleWaiters = [] }
            return (s.queuedAppenders, s.idleWaiters)
        }
        for a in round?.appenders ?? [] { a.resume(throwing: error) }
        for a in queued { a.resume(throwing: failure) }
        for w in idle { w.resume() }
        wakeReaders()
    }

    /// Resumes every `next` waiting for data (new records, close, or failure).
    func wakeReaders() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            let w = Array(s.dataWaiters.values)
            s.dataWaiters = [:]
            return w
        }
        for w in waiters { w.resume() }
    }

    func segmentPath(_ id: UInt64) -> String { Self.segmentPath(directory, id) }

    static func segmentPath(_ directory: String, _ id: UInt64) -> String {
        let digits = String(id)
        return directory + "/seg-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }
}
