import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request a test receiver recorded.
struct ReceivedRequest: Sendable {
    let method: String
    let path: String
    let headers: [(String, String)]
    let body: [UInt8]
    /// The status the receiver answered (the spec verifiers record it: 200 verified, 401 refused).
    let answered: Int?

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A real HTTP server process on a free loopback port (Python's `http_receiver.py`, or the spec's
/// Node and PHP verifiers under a thin harness), recording what it gets in a temp dir.
/// Stopped by pid; every test that starts one stops it.
final class HTTPReceiver: @unchecked Sendable {
    static let supportDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let port: Int
    let directory: URL
    private let process = Process()
    private let logPath: String

    enum Kind { case python, node(secret: String), php(secret: String) }

    init(_ kind: Kind = .python, host: String = "127.0.0.1") async throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-recv-\(UUID().uuidString)")
        let requests = directory.appendingPathComponent("requests")
        try FileManager.default.createDirectory(at: requests, withIntermediateDirectories: true)
        logPath = directory.appendingPathComponent("server.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let verifiers = Self.supportDir.appendingPathComponent("verifiers")
        switch kind {
        case .python:
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [Self.supportDir.appendingPathComponent("http_receiver.py").path, "--port", "\(port)", "--host", host, "--dir", requests.path]
        case .node(let secret):
            process.executableURL = URL(fileURLWithPath: "/usr/bin/node")
            process.arguments = [verifiers.appendingPathComponent("node-harness.js").path, "\(port)", requests.path, secret]
        case .php(let secret):
            process.executableURL = URL(fileURLWithPath: "/usr/bin/php")
            process.arguments = ["-S", "127.0.0.1:\(port)", verifiers.appendingPathComponent("php-harness.php").path]
            var env = ProcessInfo.processInfo.environment
            env["VERIFIER_DIR"] = requests.path
            env["VERIFIER_SECRET"] = secret
            process.environment = env
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Our process must say it listens (another one may hold a port freePort() handed out twice).
        let marker: String
        if case .php = kind { marker = "started" } else { marker = "READY" }
        let deadline = Date().addingTimeInterval(15)
        while !(output.contains(marker) && Self.accepts(host: host, port: port)) {
            guard process.isRunning, Date() < deadline else {
                let out = output
                stop()
                throw TestServerFailure(message: "HTTP receiver did not start:\n\(out)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Requests recorded so far, in arrival order.
    var requests: [ReceivedRequest] {
        let dir = directory.appendingPathComponent("requests")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            let headers = (obj["headers"] as? [[String]] ?? []).map { ($0[0], $0.count > 1 ? $0[1] : "") }
            let body = Data(base64Encoded: obj["body"] as? String ?? "").map { [UInt8]($0) } ?? []
            return ReceivedRequest(method: obj["method"] as? String ?? "", path: obj["path"] as? String ?? "", headers: headers, body: body,
                                   answered: obj["answered"] as? Int)
        }
    }

    /// Sets the answer for /hook on the Python receiver: "ok", a status code, "sleep:<s>", "429:<s>".
    func setMode(_ mode: String) async throws {
        var req = URLRequest(url: URL(string: "\(base)/_mode")!)
        req.httpMethod = "POST"
        req.httpBody = try JSONSerialization.data(withJSONObject: ["mode": mode])
        _ = try await URLSession.shared.data(for: req)
    }

    /// SIGKILL to our pid, then reap it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    static func accepts(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr(host == "::1" ? "127.0.0.1" : host)
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
