/// CRC-32 with the IEEE polynomial (the one zlib, PNG and Ethernet use), table-driven, eight bytes per step
/// ("slicing-by-8": the spool checksums every beacon, so this is on the request path).
enum CRC32 {
    /// `tables[k][n]`: the CRC of byte n followed by k zero bytes; tables[0] is the classic one-byte table.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let prev = t[(k - 1) * 256 + n]
                t[k * 256 + n] = t[Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return t
    }()

    /// Continues `crc` (0 to start) over `bytes`: `update(update(0, a), b) == checksum(a + b)`.
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)] ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)] ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }
}

/// How a record sits in a segment file: length (UInt32 LE), CRC-32 (UInt32 LE), payload.
///
/// The checksum covers the length bytes as well as the payload. Otherwise a run of zero bytes (what a
/// file system may leave after a power cut in space it had already extended) would read as a valid
/// stream of empty records, since the CRC-32 of nothing is 0.
enum SpoolFrame {
    static let headerSize = 8
    /// Larger length fields are taken as corruption, not as a request to read gigabytes.
    static let maxPayload = 16 << 20

    static func checksum(length: UInt32, payload: UnsafeRawBufferPointer) -> UInt32 {
        var le = length.littleEndian
        let c = withUnsafeBytes(of: &le) { CRC32.update(0, $0) }
        return CRC32.update(c, payload)
    }

    static func header(for payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        let crc = payload.withUnsafeBytes { checksum(length: length, payload: $0) }
        var h = [UInt8](repeating: 0, count: headerSize)
        storeLE(length, into: &h, at: 0)
        storeLE(crc, into: &h, at: 4)
        return h
    }

    static func storeLE(_ v: UInt32, into bytes: inout [UInt8], at i: Int) {
        bytes[i] = UInt8(truncatingIfNeeded: v)
        bytes[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[i + 2] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[i + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }

    static func loadLE(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
}
