import Glibc
import NIOPosix
import Ports

/// The consumer side: reading after the acknowledged position, waiting for data, acknowledging.
extension FileSpool {
    public func next(maxRecords: Int, maxBytes: Int, wait: Duration) async throws -> SpoolBatch? {
        precondition(maxRecords > 0, "maxRecords must be positive")
        if wait > .zero, try !hasData() { await waitForData(upTo: wait) }
        // The snapshot is taken on the reader thread, after any acknowledgement queued before it.
        return try await onReaderThread {
            let (from, segments, pending) = try self.state.withLock { s in
                if let failure = s.failure { throw failure }
                if s.closed { throw FileSpoolError.closed(directory: self.directory) }
                return (s.acknowledged, s.segments, s.pendingBytes)
            }
            guard pending > 0,
                  let batch = try self.read(from: from, segments: segments, maxRecords: maxRecords, maxBytes: maxBytes)
            else { return nil }
            self.state.withLock { _ = $0.issuedEnds.insert(batch.end) }
            return batch
        }
    }

    public func acknowledge(_ end: SpoolPosition) async throws {
        try await onReaderThread { try self.persistAcknowledgement(end) }
    }

    /// Runs blocking file work on the reader thread, so neither the concurrency pool nor the writer waits for it.
    private func onReaderThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do { return try await readerThread.runIfActive(body) } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw FileSpoolError.closed(directory: directory)
        }
    }

    private func hasData() throws -> Bool {
        try state.withLock { s in
            if let failure = s.failure { throw failure }
            if s.closed { throw FileSpoolError.closed(directory: directory) }
            return s.pendingBytes > 0
        }
    }

    /// Returns when a record is synced, the spool closes or fails, `limit` passes, or the task is cancelled.
    private func waitForData(upTo limit: Duration) async {
        let id = state.withLock { s in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.dataArrival(id) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func dataArrival(_ id: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let ready: Bool = state.withLock { s in
                    if s.pendingBytes > 0 || s.closed || s.failure != nil || s.cancelledWaiters.contains(id) { return true }
                    s.dataWaiters[id] = cont
                    return false
                }
                if ready { cont.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
                if let w = s.dataWaiters.removeValue(forKey: id) { return w }
                s.cancelledWaiters.insert(id)  // cancelled before it registered
                return nil
            }
            waiter?.resume()
        }
        _ = state.withLock { $0.cancelledWaiters.remove(id) }
    }

    /// Reads synced records after `from`, across segments, within the limits (always at least one record).
    private func read(from: SpoolPosition, segments: [Segment], maxRecords: Int, maxBytes: Int) throws -> SpoolBatch? {
        var records: [[UInt8]] = []
        var bytes = 0
        var end = from
        for segment in segments where segment.id >= from.segment {
            let start = segment.id == from.segment ? from.offset : 0
            guard start < segment.size else { continue }
            let path = segmentPath(segment.id)
            let fd = try Posix.open(path, O_RDONLY)
            defer { Posix.close(fd) }
            var reader = SegmentReader(fd: fd, path: path, from: start, to: segment.size)
            while records.count < maxRecords {
                switch try reader.next(budget: records.isEmpty ? nil : maxBytes - bytes) {
                case .record(let payload):
                    records.append(payload)
                    bytes += payload.count
                    end = SpoolPosition(segment: segment.id, offset: reader.offset)
                    continue
                case .overBudget:
                    return SpoolBatch(records: records, end: end)
                case .end:
                    break
                case .invalid(let reason):
                    throw FileSpoolError.corrupt(path: path, offset: reader.offset, reason: reason)
                }
                break
            }
            if records.count == maxRecords { break }
        }
        return records.isEmpty ? nil : SpoolBatch(records: records, end: end)
    }

    /// Persists `end` as the checkpoint, then deletes the segments wholly before it. Runs on the reader thread,
    /// so acknowledgements never interleave.
    private func persistAcknowledgement(_ end: SpoolPosition) throws {
        let plan = try state.withLock { s -> (position: SpoolPosition, freed: Int)? in
            if let failure = s.failure { throw failure }
            if s.closed { throw FileSpoolError.closed(directory: directory) }
            if end <= s.acknowledged { return nil }
            guard let index = s.segments.firstIndex(where: { $0.id == end.segment }) else {
                throw FileSpoolError.invalidPosition(end, reason: "no such segment (the spool ends at \(s.end))")
            }
            guard end.offset <= s.segments[index].size else {
                throw FileSpoolError.invalidPosition(end, reason: "past the synced end of its segment (\(s.segments[index].size))")
            }
            guard s.issuedEnds.contains(end) || end.offset == s.segments[index].size else {
                throw FileSpoolError.invalidPosition(end, reason: "not the end of a batch returned by next")
            }
            var freed = 0
            var at = s.acknowledged
            for segment in s.segments where segment.id >= at.segment && segment.id <= end.segment {
                let stop = segment.id == end.segment ? end.offset : segment.size
                freed += Int(stop - (segment.id == at.segment ? at.offset : 0))
            }
            // A finished segment read to its end: point at the start of the next one, so the old file can go.
            at = end
            var i = index
            while i + 1 < s.segments.count && at.offset == s.segments[i].size {
                i += 1
                at = SpoolPosition(segment: s.segments[i].id, offset: 0)
            }
            return (at, freed)
        }
        guard let plan else { return }
        try Self.writeCheckpoint(plan.position, directory: directory)
        let removed: [UInt64] = state.withLock { s in
            s.acknowledged = plan.position
            s.issuedEnds = s.issuedEnds.filter { $0 > end }
            s.pendingBytes -= plan.freed
            let gone = s.segments.prefix { $0.id < plan.position.segment }.map(\.id)
            s.segments.removeFirst(gone.count)
            return gone
        }
        // After the checkpoint is durable: a crash before these unlinks leaves files that the next open removes.
        for id in removed { try Posix.unlink(segmentPath(id)) }
    }
}
