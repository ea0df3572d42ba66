/// Reads framed records from one segment file, sequentially, through a buffer, up to a fixed end
/// (the durable size: bytes the writer has not synced yet are never read).
struct SegmentReader {
    enum Step {
        case record([UInt8])
        /// The next record's payload exceeds the caller's budget; it was not consumed.
        case overBudget
        case end
        /// The bytes at `offset` are not a valid record (torn write or corruption).
        case invalid(String)
    }

    let fd: Int32
    let path: String
    let end: UInt64
    /// The file offset of the next record.
    private(set) var offset: UInt64
    private var buffer: [UInt8] = []
    private var bufferStart: UInt64 = 0
    private let chunk = 256 << 10

    init(fd: Int32, path: String, from offset: UInt64, to end: UInt64) {
        self.fd = fd; self.path = path; self.offset = offset; self.end = end
    }

    /// The next record. `budget` caps its payload size (nil: any size); `copy: false` validates without
    /// returning the payload (recovery scans).
    mutating func next(budget: Int? = nil, copy: Bool = true) throws -> Step {
        let remaining = end - offset
        if remaining == 0 { return .end }
        if remaining < UInt64(SpoolFrame.headerSize) {
            return .invalid("\(remaining) bytes where a \(SpoolFrame.headerSize)-byte record header belongs")
        }
        try fill(SpoolFrame.headerSize)
        let h = Int(offset - bufferStart)
        let length = SpoolFrame.loadLE(buffer, at: h)
        let stored = SpoolFrame.loadLE(buffer, at: h + 4)
        if length > SpoolFrame.maxPayload {
            return .invalid("length field \(length) exceeds the \(SpoolFrame.maxPayload)-byte record limit")
        }
        let total = SpoolFrame.headerSize + Int(length)
        if UInt64(total) > remaining {
            return .invalid("a \(length)-byte record runs past the end of the data (\(remaining - UInt64(SpoolFrame.headerSize)) bytes left)")
        }
        if let budget, Int(length) > budget { return .overBudget }
        try fill(total)
        let start = Int(offset - bufferStart) + SpoolFrame.headerSize
        let (crc, payload): (UInt32, [UInt8]) = buffer.withUnsafeBytes { all in
            let p = UnsafeRawBufferPointer(rebasing: all[start..<start + Int(length)])
            return (SpoolFrame.checksum(length: length, payload: p), copy ? [UInt8](p) : [])
        }
        if crc != stored { return .invalid("checksum mismatch (stored \(stored), computed \(crc))") }
        offset += UInt64(total)
        return .record(payload)
    }

    /// Makes `[offset, offset + n)` available in the buffer.
    private mutating func fill(_ n: Int) throws {
        if offset >= bufferStart && offset + UInt64(n) <= bufferStart + UInt64(buffer.count) { return }
        let size = Int(min(end - offset, UInt64(max(n, chunk))))
        buffer = try Posix.read(fd, count: size, at: offset, path: path)
        bufferStart = offset
    }
}
