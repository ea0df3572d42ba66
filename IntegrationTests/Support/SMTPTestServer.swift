import Foundation
import Ports

/// A real SMTP server (aiosmtpd, `smtp_server.py`) on a free loopback port, recording each
/// message it accepts as `N.eml` (raw) and `N.json` (envelope and Python's parse) in a temp dir.
/// `stop()` ends it by pid; every test that starts one stops it.
final class SMTPTestServer: @unchecked Sendable {
    enum TLS { case none, startTLS, implicit }

    /// An interpreter with aiosmtpd: $SMTP_TEST_PYTHON, else Debian's python3 (apt-get install python3-aiosmtpd).
    static var python: String { ProcessInfo.processInfo.environment["SMTP_TEST_PYTHON"] ?? "/usr/bin/python3" }
    /// The server script lives beside this file.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_server.py").path

    let port: Int
    let directory: URL
    private let process = Process()
    private let logPath: String

    init(user: String? = nil, password: String? = nil, tls: TLS = .none, authRequiresTLS: Bool = false) async throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logPath = directory.appendingPathComponent("server.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        var args = [Self.script, "--port", "\(port)", "--dir", directory.appendingPathComponent("mail").path]
        if let user, let password { args += ["--user", user, "--password", password] }
        if tls != .none {
            let (cert, key) = try Self.selfSignedCertificate(in: directory)
            args += ["--tls-cert", cert, "--tls-key", key]
            if tls == .implicit { args.append("--implicit-tls") }
        }
        if authRequiresTLS { args.append("--auth-require-tls") }
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = args
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !output.contains("READY") {
            guard process.isRunning, Date() < deadline else {
                await stop()
                throw TestServerFailure(message: "SMTP test server did not start:\n\(output)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM to our pid, SIGKILL after 5 s; waits so nothing is left as a zombie.
    func stop() async {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ends the server at once (SIGKILL) and reaps it; for `defer`, where nothing can be awaited.
    func stopNow() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        // A test that forgot to stop its server must not leave it running after the test process exits.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Messages received so far.
    var count: Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("mail").path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.count
    }

    /// The `n`th message received (1-based), as Python's email package parsed it.
    func message(_ n: Int = 1) throws -> ReceivedMail {
        let url = directory.appendingPathComponent("mail/\(n).json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestServerFailure(message: "no message \(n) received; server log:\n\(output)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ReceivedMail.self, from: data)
    }

    /// The `n`th message's raw bytes as the server received them (after dot-unstuffing).
    func raw(_ n: Int = 1) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("mail/\(n).eml").path) else {
            throw TestServerFailure(message: "no raw message \(n)")
        }
        return Array(data)
    }

    /// A throwaway self-signed certificate for CN=localhost (openssl req, about 0.1 s).
    static func selfSignedCertificate(in directory: URL) throws -> (cert: String, key: String) {
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw TestServerFailure(message: "openssl req failed") }
        return (cert, key)
    }
}

/// One message as the test server recorded it.
struct ReceivedMail: Decodable {
    struct Address: Decodable, Equatable {
        let name: String
        let address: String
    }
    let mailFrom: String
    let rcptTos: [String]
    let authenticated: Bool
    let login: String?
    let tls: Bool
    let size: Int
    let headers: [[String]]
    let subject: String?
    let messageId: String?
    let date: String?
    let from: [Address]
    let to: [Address]
    let replyTo: [Address]
    let contentType: String
    let text: String?
    let html: String?
    let defects: [String]

    /// Decoded values of every header called `name` (case-insensitive).
    func header(_ name: String) -> [String] {
        headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
    }
}

struct TestServerFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A clock stopped at one instant.
struct FixedClock: TimeSource {
    let date: Date
    func now() -> Date { date }
}

/// Deterministic "randomness": byte i of the stream is (seed + i) mod 256.
final class CountingRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var next: UInt8
    init(seed: UInt8 = 0) { next = seed }
    func bytes(_ count: Int) -> [UInt8] {
        lock.withLock { (0..<count).map { _ in defer { next &+= 1 }; return next } }
    }
    func unit() -> Double { 0.5 }
}
