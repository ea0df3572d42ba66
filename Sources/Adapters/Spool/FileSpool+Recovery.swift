import Foundation
import Glibc
import Ports

/// Opening a spool directory: the checkpoint, then a scan of every segment after it.
extension FileSpool {
    struct Recovered {
        var segments: [Segment]
        var acknowledged: SpoolPosition
        var pendingBytes: Int
        var writeFD: Int32
        var truncatedBytes: UInt64
    }

    static let checkpointMagic = "opsiq-spool-checkpoint 1"

    static func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FileSpoolError.io(operation: "create directory", path: directory, errno: EIO)
        }
    }

    /// Validates every unacknowledged record. The newest segment may end in a torn record (the process or
    /// the machine stopped before its `fdatasync` returned, so no appender was told it was stored): it is
    /// cut off. Anything invalid before that was acknowledged to someone, so it is reported, not skipped.
    static func recover(directory: String) throws -> Recovered {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw FileSpoolError.io(operation: "list directory", path: directory, errno: EIO)
        }
        var ids = names.compactMap(segmentID(fromName:)).sorted()
        try? Posix.unlink(directory + "/checkpoint.tmp")

        let checkpoint = try readCheckpoint(directory)
        var acknowledged = checkpoint ?? SpoolPosition(segment: ids.first ?? 0, offset: 0)
        // Segments wholly acknowledged whose removal a crash interrupted.
        for id in ids where id < acknowledged.segment { try Posix.unlink(segmentPath(directory, id)) }
        ids.removeAll { $0 < acknowledged.segment }

        if ids.isEmpty {
            if let checkpoint, checkpoint.offset > 0 {
                throw FileSpoolError.corrupt(path: segmentPath(directory, checkpoint.segment), offset: 0,
                                             reason: "the checkpoint points into this segment but the file is missing")
            }
            let path = segmentPath(directory, acknowledged.segment)
            let fd = try Posix.open(path, O_CREAT | O_WRONLY | O_APPEND)
            try Posix.syncDirectory(directory)
            return Recovered(segments: [Segment(id: acknowledged.segment, size: 0)], acknowledged: acknowledged,
                             pendingBytes: 0, writeFD: fd, truncatedBytes: 0)
        }
        if ids[0] != acknowledged.segment {
            if checkpoint != nil {
                throw FileSpoolError.corrupt(path: segmentPath(directory, acknowledged.segment), offset: 0,
                                             reason: "the checkpoint points into this segment but the file is missing")
            }
            acknowledged = SpoolPosition(segment: ids[0], offset: 0)
        }
        for (a, b) in zip(ids, ids.dropFirst()) where b != a + 1 {
            throw FileSpoolError.corrupt(path: segmentPath(directory, a + 1), offset: 0,
                                         reason: "segment missing between \(a) and \(b)")
        }

        var segments: [Segment] = []
        var pending: UInt64 = 0
        var truncated: UInt64 = 0
        var writeFD: Int32 = -1  // the last segment's, kept open for appending
        for (i, id) in ids.enumerated() {
            let path = segmentPath(directory, id)
            let isLast = i == ids.count - 1
            let fd = try Posix.open(path, isLast ? O_RDWR | O_APPEND : O_RDONLY)
            var size: UInt64 = 0
            do {
                size = try Posix.size(fd, path: path)
                let start = i == 0 ? acknowledged.offset : 0
                if start > size {
                    throw FileSpoolError.corrupt(path: path, offset: size,
                                                 reason: "the checkpoint points at byte \(start), past the end of the file")
                }
                var reader = SegmentReader(fd: fd, path: path, from: start, to: size)
                scan: while true {
                    switch try reader.next(copy: false) {
                    case .record, .overBudget: continue
                    case .end: break scan
                    case .invalid(let reason):
                        guard isLast else { throw FileSpoolError.corrupt(path: path, offset: reader.offset, reason: reason) }
                        try Posix.truncate(fd, to: reader.offset, path: path)
                        try Posix.dataSync(fd, path: path)
                        truncated = size - reader.offset
                        size = reader.offset
                        break scan
                    }
                }
                pending += size - start
            } catch {
                Posix.close(fd)
                throw error
            }
            segments.append(Segment(id: id, size: size))
            if isLast { writeFD = fd } else { Posix.close(fd) }
        }
        return Recovered(segments: segments, acknowledged: acknowledged, pendingBytes: Int(pending), writeFD: writeFD, truncatedBytes: truncated)
    }

    /// `seg-00000000000000000042.log` → 42.
    static func segmentID(fromName name: String) -> UInt64? {
        guard name.hasPrefix("seg-"), name.hasSuffix(".log"), name.utf8.count == 4 + 20 + 4 else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4))
    }

    static func readCheckpoint(_ directory: String) throws -> SpoolPosition? {
        let path = directory + "/checkpoint"
        let fd: Int32
        do { fd = try Posix.open(path, O_RDONLY) } catch FileSpoolError.io(_, _, let err) where err == ENOENT { return nil }
        defer { Posix.close(fd) }
        let size = try Posix.size(fd, path: path)
        let text = String(decoding: try Posix.read(fd, count: Int(min(size, 256)), at: 0, path: path), as: UTF8.self)
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 4, parts[0...1].joined(separator: " ") == checkpointMagic,
              let segment = UInt64(parts[2]), let offset = UInt64(parts[3]) else {
            throw FileSpoolError.corrupt(path: path, offset: 0, reason: "not a spool checkpoint: \(text.debugDescription)")
        }
        return SpoolPosition(segment: segment, offset: offset)
    }

    /// Replaces the checkpoint atomically: a crash leaves either the old or the new one, never a mix.
    static func writeCheckpoint(_ position: SpoolPosition, directory: String) throws {
        let tmp = directory + "/checkpoint.tmp"
        let fd = try Posix.open(tmp, O_CREAT | O_TRUNC | O_WRONLY)
        do {
            try Posix.writeAll(fd, Array("\(checkpointMagic) \(position.segment) \(position.offset)\n".utf8), path: tmp)
            try Posix.dataSync(fd, path: tmp)
        } catch {
            Posix.close(fd)
            throw error
        }
        Posix.close(fd)
        try Posix.rename(tmp, directory + "/checkpoint")
        try Posix.syncDirectory(directory)
    }
}
