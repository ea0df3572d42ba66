import Foundation
import HTTPTypes
import Hummingbird

/// CSV exports of the admin tables (RFC 4180). A cell that a spreadsheet would run as a formula (starting
/// with =, +, -, @, tab or carriage return) gets a leading apostrophe, so an attacker's page URL or referrer
/// cannot become a formula in the exporting person's spreadsheet.
enum CSV {
    static func field(_ raw: String) -> String {
        var s = raw
        if let c = s.first, "=+-@\t\r".contains(c) { s = "'" + s }
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    static func render(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// The most rows one export holds.
    static let maxRows = 10_000

    static func response(filename: String, header: [String], rows: [[String]]) -> Response {
        let safe = filename.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                                               .contentDisposition: "attachment; filename=\"\(safe)\"",
                                               HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(string: render(header, rows))))
    }
}
