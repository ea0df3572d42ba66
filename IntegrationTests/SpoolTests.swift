import Adapters
import Foundation
import Ports
import Testing

/// The on-disk spool on the real file system: order, limits, group commit, restart, torn tails, a killed
/// appender, back-pressure and the directory lock.
@Suite struct SpoolTests {
    /// A fresh directory, removed afterwards.
    static func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try await body(dir)
    }

    /// "<appender>:<index>:" padded with dots to `size` bytes (the crash helper in opsiq-bench writes the same).
    static func record(_ appender: Int, _ index: Int, size: Int = 300) -> [UInt8] {
        var bytes = Array("\(appender):\(index):".utf8)
        if bytes.count < size { bytes += [UInt8](repeating: 0x2E, count: size - bytes.count) }
        return bytes
    }

    static func parse(_ record: [UInt8]) -> (appender: Int, index: Int)? {
        let parts = String(decoding: record.prefix(40), as: UTF8.self).split(separator: ":", maxSplits: 2)
        guard parts.count == 3, let a = Int(parts[0]), let i = Int(parts[1]) else { return nil }
        return (a, i)
    }

    /// Reads (and, if asked, acknowledges) everything pending.
    static func readAll(_ spool: FileSpool, acknowledge: Bool = true) async throws -> [[UInt8]] {
        var all: [[UInt8]] = []
        while let batch = try await spool.next(maxRecords: 500, maxBytes: 1 << 20, wait: .zero) {
            all += batch.records
            if acknowledge { try await spool.acknowledge(batch.end) } else { break }
        }
        return all
    }

    static func segmentFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("seg-") }.sorted()
    }

    @Test func roundTripKeepsOrderAndHonoursLimits() async throws {
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir)
            #expect(try await spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .zero) == nil)
            for i in 0..<10 { try await spool.append(Self.record(0, i, size: 100)) }
            #expect(spool.pendingBytes == 10 * 108, "framed size: 8-byte header + payload")

            let first = try #require(try await spool.next(maxRecords: 3, maxBytes: 1 << 20, wait: .zero))
            #expect(first.records == (0..<3).map { Self.record(0, $0, size: 100) })
            let again = try #require(try await spool.next(maxRecords: 3, maxBytes: 1 << 20, wait: .zero))
            #expect(again.records == first.records && again.end == first.end, "unacknowledged records are returned again")
            try await spool.acknowledge(first.end)
            #expect(spool.pendingBytes == 7 * 108)

            let byBytes = try #require(try await spool.next(maxRecords: 100, maxBytes: 250, wait: .zero))
            #expect(byBytes.records == [Self.record(0, 3, size: 100), Self.record(0, 4, size: 100)], "a third record would exceed 250 bytes")
            let oversize = try #require(try await spool.next(maxRecords: 100, maxBytes: 10, wait: .zero))
            #expect(oversize.records == [Self.record(0, 3, size: 100)], "at least one record even when it exceeds maxBytes")
            try await spool.acknowledge(byBytes.end)
            try await spool.acknowledge(first.end)  // an older position is ignored
            let insideARecord = SpoolPosition(segment: byBytes.end.segment, offset: byBytes.end.offset + 50)
            await #expect(throws: FileSpoolError.self, "a position inside a record is refused") { try await spool.acknowledge(insideARecord) }
            #expect(try await Self.readAll(spool).map { Self.parse($0)!.index } == Array(5..<10))
            #expect(spool.pendingBytes == 0)
            #expect(try await spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .zero) == nil)

            // An empty spool waits, but only until the first record is synced.
            let clock = ContinuousClock()
            let before = clock.now
            #expect(try await spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .milliseconds(100)) == nil)
            #expect(clock.now - before >= .milliseconds(100))
            let start = clock.now
            async let arrived = spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .seconds(30))
            try await Task.sleep(for: .milliseconds(100))
            try await spool.append(Self.record(1, 0))
            let batch = try #require(try await arrived)
            #expect(batch.records == [Self.record(1, 0)])
            #expect(clock.now - start < .seconds(10), "returned when the record arrived, not after the 30 s wait")
            await spool.close()
        }
    }

    @Test func concurrentAppendersShareSyncsAndKeepTheirOrder() async throws {
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir)
            let (appenders, perAppender) = (64, 200)
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for a in 0..<appenders {
                    group.addTask { for i in 0..<perAppender { try await spool.append(Self.record(a, i, size: 600)) } }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let total = appenders * perAppender
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("spool: \(total) appends of 600 bytes from \(appenders) appenders in \(elapsed): \(Int(Double(total) / seconds)) appends/s, \(spool.syncCount) syncs")

            #expect(spool.syncCount < total, "appends share syncs")
            let records = try await Self.readAll(spool)
            #expect(records.count == total)
            var seen: [Int: [Int]] = [:]
            for r in records {
                guard let (a, i) = Self.parse(r) else { Issue.record("unreadable record"); continue }
                seen[a, default: []].append(i)
            }
            #expect(seen.count == appenders)
            for a in 0..<appenders { #expect(seen[a] == Array(0..<perAppender), "appender \(a): each record once, in order") }
            await spool.close()
        }
    }

    @Test func reopenedSpoolReturnsExactlyTheUnacknowledgedRecords() async throws {
        try await Self.withDirectory { dir in
            // A segment rolls once it has reached 4096 bytes: 14 records of 308 framed bytes each, so 100 records take 8.
            var spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            for i in 0..<100 { try await spool.append(Self.record(0, i)) }
            #expect(try Self.segmentFiles(dir).count == 8)
            let batch = try #require(try await spool.next(maxRecords: 60, maxBytes: 1 << 20, wait: .zero))
            #expect(batch.records.count == 60)
            try await spool.acknowledge(batch.end)
            _ = try #require(try await spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .zero))  // read, never acknowledged
            let pending = spool.pendingBytes
            #expect(pending == 40 * 308)
            await spool.close()
            await #expect(throws: FileSpoolError.self) { try await spool.append(Self.record(0, 100)) }

            // Record 60 is the 5th of segment 4: segments 0...3 are gone.
            let files = try Self.segmentFiles(dir)
            #expect(files.first == "seg-00000000000000000004.log" && files.count == 4, "\(files)")

            spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            #expect(spool.pendingBytes == pending)
            #expect(spool.truncatedTailBytes == 0)
            #expect(try await Self.readAll(spool).map { Self.parse($0)!.index } == Array(60..<100))
            #expect(try Self.segmentFiles(dir) == ["seg-00000000000000000007.log"], "only the segment being written is left")
            await spool.close()

            spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            #expect(try await spool.next(maxRecords: 10, maxBytes: 1 << 20, wait: .zero) == nil)
            try await spool.append(Self.record(0, 100))
            #expect(try await Self.readAll(spool) == [Self.record(0, 100)])
            await spool.close()
        }
    }

    @Test func tornTailIsCutAndCorruptionBeforeItIsReported() async throws {
        try await Self.withDirectory { dir in
            var spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            for i in 0..<20 { try await spool.append(Self.record(0, i)) }
            await spool.close()
            let files = try Self.segmentFiles(dir)
            #expect(files.count == 2)
            let last = dir + "/" + files[1]

            // The last record lost its final 5 bytes, as if the machine stopped mid-write.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: last))
            let size = try handle.seekToEnd()
            try handle.truncate(atOffset: size - 5)
            try handle.close()
            spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            #expect(spool.truncatedTailBytes == 303)
            #expect(try await Self.readAll(spool, acknowledge: false).map { Self.parse($0)!.index } == Array(0..<19))
            try await spool.append(Self.record(0, 19))
            #expect(try await Self.readAll(spool, acknowledge: false).count == 20, "appends continue after the cut")
            await spool.close()

            // Zeros after the data (space a file system extended but never filled) are not empty records.
            let zeros = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
            try zeros.seekToEnd()
            try zeros.write(contentsOf: Data(count: 1000))
            try zeros.close()
            spool = try FileSpool(directory: dir, maxSegmentBytes: 4096)
            #expect(spool.truncatedTailBytes == 1000)
            #expect(try await Self.readAll(spool, acknowledge: false).map { Self.parse($0)!.index } == Array(0..<20))
            await spool.close()

            // A flipped byte in the older segment was acknowledged to an appender: an error, not a skip.
            let first = dir + "/" + files[0]
            var bytes = try Data(contentsOf: URL(fileURLWithPath: first))
            bytes[308 * 3 + 50] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: first))
            do {
                _ = try FileSpool(directory: dir, maxSegmentBytes: 4096)
                Issue.record("opening a spool with a corrupt older segment must fail")
            } catch let error as FileSpoolError {
                guard case .corrupt(let path, let offset, _) = error else { Issue.record("\(error)"); return }
                #expect(path == first && offset == 308 * 3)
                #expect("\(error)".contains(files[0]) && "\(error)".contains("checksum"), "\(error)")
            }
        }
    }

    @Test func killedAppenderLosesNothingItWasToldWasStored() async throws {
        try await Self.withDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let out = dir + "-acks.txt"
            defer { try? FileManager.default.removeItem(atPath: out) }
            FileManager.default.createFile(atPath: out, contents: nil)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: try productPath("opsiq-bench"))
            child.arguments = ["spool-append", "--dir", dir, "--appenders", "16", "--size", "300"]
            child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            try child.run()
            let deadline = Date().addingTimeInterval(60)
            func acks() -> [Substring] {
                let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                return text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1).map { $0 }
            }
            while acks().count < 5_000 && Date() < deadline && child.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            var acknowledged: [Int: Int] = [:]  // appender → highest index it was told was stored
            for line in acks() {
                let p = line.split(separator: " ")
                if let a = Int(p[0]), let i = Int(p[1]) { acknowledged[a] = max(acknowledged[a] ?? -1, i) }
            }
            #expect(acknowledged.values.reduce(0) { $0 + $1 + 1 } >= 5_000)

            let spool = try FileSpool(directory: dir)
            var stored: [Int: [Int]] = [:]
            for r in try await Self.readAll(spool) {
                guard let (a, i) = Self.parse(r) else { Issue.record("unreadable record"); continue }
                stored[a, default: []].append(i)
            }
            for (a, top) in acknowledged {
                let indices = stored[a] ?? []
                #expect(indices == Array(0..<indices.count), "appender \(a): no gaps, no repeats")
                #expect(indices.count > top, "appender \(a): acknowledged up to \(top), found \(indices.count)")
            }
            print("spool crash test: \(acknowledged.values.reduce(0) { $0 + $1 + 1 }) acknowledged appends before SIGKILL, torn tail cut: \(spool.truncatedTailBytes) bytes")
            await spool.close()
        }
    }

    @Test func fullSpoolRefusesAppendsUntilAcknowledged() async throws {
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir, maxPendingBytes: 10 * 308)
            for i in 0..<10 { try await spool.append(Self.record(0, i)) }
            await #expect(throws: SpoolFull.self) { try await spool.append(Self.record(0, 10)) }
            let batch = try #require(try await spool.next(maxRecords: 5, maxBytes: 1 << 20, wait: .zero))
            await #expect(throws: SpoolFull.self, "reading alone frees nothing") { try await spool.append(Self.record(0, 10)) }
            try await spool.acknowledge(batch.end)
            for i in 10..<15 { try await spool.append(Self.record(0, i)) }
            await #expect(throws: SpoolFull.self) { try await spool.append(Self.record(0, 15)) }
            #expect(try await Self.readAll(spool).map { Self.parse($0)!.index } == Array(5..<15))
            await spool.close()
        }
    }

    @Test func secondSpoolOnTheSameDirectoryIsRefused() async throws {
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir)
            do {
                _ = try FileSpool(directory: dir)
                Issue.record("a second spool on the same directory must fail")
            } catch let error as FileSpoolError {
                guard case .locked(let d) = error else { Issue.record("\(error)"); return }
                #expect(d == dir && "\(error)".contains(dir) && "\(error)".contains("in use"))
            }
            // Another process is refused too, and says why.
            let r = try await run(try productPath("opsiq-bench"), ["spool-append", "--dir", dir], env: [:], timeout: 30)
            #expect(r.status != 0)
            #expect(r.stderr.contains(dir) && r.stderr.contains("in use"), "\(r.stderr)")

            await spool.close()
            // Releasing a spool without close() frees the lock too.
            var dropped: FileSpool? = try FileSpool(directory: dir)
            try await dropped?.append(Self.record(0, 0))
            dropped = nil
            let reopened = try FileSpool(directory: dir)
            #expect(try await Self.readAll(reopened) == [Self.record(0, 0)])
            await reopened.close()
        }
    }

    @Test func crc32MatchesTheIEEECheckValue() async throws {
        // The standard check value of CRC-32/ISO-HDLC, as zlib computes it, seen through a stored frame:
        // a record's checksum field is CRC-32 over its 4 length bytes followed by the payload.
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir)
            try await spool.append(Array("123456789".utf8))
            await spool.close()
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + (try Self.segmentFiles(dir))[0])))
            #expect(Array(bytes[0..<4]) == [9, 0, 0, 0])
            let stored = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
            // zlib.crc32(b"\x09\x00\x00\x00123456789")
            #expect(stored == 0xA51C_61E2, "\(String(stored, radix: 16))")
        }
    }

    @Test func crc32OfALongRecordMatchesZlib() async throws {
        // 1,000 bytes: many eight-byte steps of the sliced table plus a tail, against zlib's value.
        try await Self.withDirectory { dir in
            let spool = try FileSpool(directory: dir)
            try await spool.append((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) })
            await spool.close()
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + (try Self.segmentFiles(dir))[0])))
            let stored = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
            // zlib.crc32(struct.pack("<I", 1000) + bytes((i * 7 + 3) & 0xFF for i in range(1000)))
            #expect(stored == 0x1EA8_B5BA, "\(String(stored, radix: 16))")
            let reopened = try FileSpool(directory: dir)
            #expect(try await Self.readAll(reopened).count == 1)
            await reopened.close()
        }
    }
}
