/// A place in a spool: the byte just after a record (segment number, byte offset in that segment).
/// Positions order the way records were appended.
public struct SpoolPosition: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: UInt64
    public init(segment: UInt64, offset: UInt64) { self.segment = segment; self.offset = offset }

    public static func < (a: SpoolPosition, b: SpoolPosition) -> Bool {
        (a.segment, a.offset) < (b.segment, b.offset)
    }

    public var description: String { "\(segment):\(offset)" }
}

/// Records read from a spool, oldest first, and the position to acknowledge once they are stored elsewhere.
public struct SpoolBatch: Sendable {
    public var records: [[UInt8]]
    /// The position just after the last record of the batch.
    public var end: SpoolPosition
    public init(records: [[UInt8]], end: SpoolPosition) { self.records = records; self.end = end }
}

/// A durable write-ahead queue of opaque byte records: many producers append, one consumer drains.
///
/// Delivery is at-least-once: a batch read but not acknowledged before a crash is read again after a
/// restart, so the consumer's store must tolerate a repeated batch (e.g. by record ids).
public protocol DurableSpool: Sendable {
    /// Appends one record and returns once it is on disk. Concurrent callers are grouped, so many appends
    /// share one sync. Throws `SpoolFull` when too many bytes wait to be drained (back-pressure: answer
    /// "try later" rather than accept what cannot be made durable) and an I/O error when the disk fails.
    func append(_ record: [UInt8]) async throws

    /// Up to `maxRecords` durable records (payloads summing to at most `maxBytes`, but always at least one
    /// record) after the last acknowledged position, oldest first; nil when there are none. Until
    /// `acknowledge` moves the position, calling it again returns the same records (a failed store is retried).
    /// When the spool is empty it waits up to `wait` for a record, returning as soon as one is durable.
    func next(maxRecords: Int, maxBytes: Int, wait: Duration) async throws -> SpoolBatch?

    /// Everything up to `end` is stored elsewhere: the position is persisted and the disk space it frees
    /// is released. A position at or before the last acknowledged one is ignored.
    func acknowledge(_ end: SpoolPosition) async throws

    /// Bytes on disk that are durable but not yet acknowledged.
    var pendingBytes: Int { get }
}

/// The spool holds as many unacknowledged bytes as it is allowed to: the consumer is behind or down.
public struct SpoolFull: Error, Sendable, CustomStringConvertible {
    public var pendingBytes: Int
    public var maxPendingBytes: Int
    public init(pendingBytes: Int, maxPendingBytes: Int) {
        self.pendingBytes = pendingBytes; self.maxPendingBytes = maxPendingBytes
    }
    public var description: String {
        "spool full: \(pendingBytes) bytes wait to be drained (limit \(maxPendingBytes)); is the drainer running?"
    }
}
