import CGeoIP
import Foundation

/// Writes a small GeoIP Legacy City database (the GeoLiteCity.dat format) so the City code path runs
/// through the real libGeoIP without MaxMind's file, which no Debian package ships.
///
/// Format (libGeoIP `_setup_segments`, `_GeoIP_seek_record_gl`, `_extract_record`): a binary trie of
/// `segments` nodes, each two 3-byte little-endian pointers (left = bit 0, right = bit 1), walked from the
/// top bit; a pointer >= segments ends the walk, == segments means "no record", otherwise the record
/// sits at file offset pointer + 5 * segments. A record is: country index byte, region NUL, city
/// (ISO-8859-1) NUL, postal NUL, latitude and longitude as 3-byte (degrees + 180) * 10000. The file
/// ends with FF FF FF, the edition byte and the segment count (3 bytes).
struct LegacyCityDatabase {
    struct Entry {
        var network: [UInt8]  // 4 bytes for the IPv4 edition, 16 for IPv6
        var prefix: Int
        var country: String
        var region: String = ""
        var cityLatin1: [UInt8]
        var latitude: Double = 0
        var longitude: Double = 0
    }

    enum Child { case none, node(Int), record(Int) }

    static func build(_ entries: [Entry], v6: Bool = false) -> [UInt8] {
        let bits = v6 ? 128 : 32
        var nodes: [[Child]] = [[.none, .none]]
        for (i, e) in entries.enumerated() {
            precondition(e.network.count * 8 == bits && e.prefix >= 1 && e.prefix <= bits)
            var n = 0
            for depth in 0..<e.prefix {
                let bit = Int(e.network[depth / 8] >> (7 - UInt8(depth % 8)) & 1)
                if depth == e.prefix - 1 {
                    guard case .none = nodes[n][bit] else { preconditionFailure("overlapping test networks") }
                    nodes[n][bit] = .record(i)
                } else {
                    switch nodes[n][bit] {
                    case .node(let next): n = next
                    case .none:
                        nodes.append([.none, .none])
                        nodes[n][bit] = .node(nodes.count - 1)
                        n = nodes.count - 1
                    case .record: preconditionFailure("overlapping test networks")
                    }
                }
            }
        }
        let segments = nodes.count
        // Data section: a leading pad byte (a record at offset 0 would equal "no record"), then the records.
        var data: [UInt8] = [0]
        var offsets: [Int] = []
        func le3(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff)] }
        for e in entries {
            offsets.append(data.count)
            data.append(UInt8(GeoIP_id_by_code(e.country)))
            data += Array(e.region.utf8) + [0]
            data += e.cityLatin1 + [0]
            data += [0]  // postal code
            data += le3(Int(((e.latitude + 180) * 10000).rounded()))
            data += le3(Int(((e.longitude + 180) * 10000).rounded()))
            data += [0, 0, 0]  // metro and area code (read for US records)
        }
        var out: [UInt8] = []
        for node in nodes {
            for child in node {
                switch child {
                case .none: out += le3(segments)
                case .node(let i): out += le3(i)
                case .record(let r): out += le3(segments + offsets[r])
                }
            }
        }
        out += data
        out += [0xff, 0xff, 0xff, UInt8(v6 ? GEOIP_CITY_EDITION_REV1_V6.rawValue : GEOIP_CITY_EDITION_REV1.rawValue)] + le3(segments)
        return out
    }

    /// Writes the IPv4 file (and the IPv6 one beside it when given) into a new temporary directory.
    static func write(_ v4: [Entry], v6: [Entry]? = nil) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-geo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("GeoLiteCity.dat")
        try Data(build(v4)).write(to: file)
        if let v6 { try Data(build(v6, v6: true)).write(to: dir.appendingPathComponent("GeoLiteCityv6.dat")) }
        return file
    }
}
