import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The repository root, found from this file's path.
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A built executable of this package (`swift build` puts them in .build/debug).
func productPath(_ name: String) throws -> String {
    for dir in [".build/debug", ".build/release"] {
        let p = repoRoot.appendingPathComponent(dir).appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    throw ProcessFailure(message: "\(name) is not built; run swift build (make test does) before the tests")
}

struct ProcessFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a command to completion (killed after `timeout` seconds).
func run(_ executable: String, _ args: [String], env: [String: String], stdin: String? = nil, timeout: TimeInterval = 60) async throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OPSIQ_") }
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty process cannot block on a full pipe.
    async let o = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
    async let e = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
    if p.isRunning { p.terminate() }
    let (od, ed) = await (o, e)
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: od, as: UTF8.self), stderr: String(decoding: ed, as: UTF8.self))
}

/// A long-running process (opsiq-web, opsiq-worker) whose output goes to a temp file.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(_ executable: String, env: [String: String]) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-daemon-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OPSIQ_") }
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits up to `timeout` seconds; returns the exit status, or nil if it had to be killed.
    func terminate(timeout: TimeInterval = 20) async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

/// GET a URL; nil when nothing answers.
func httpGet(_ url: String) async -> (status: Int, body: String)? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 5
    guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, String(decoding: data, as: UTF8.self))
}

/// A free loopback TCP port.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw ProcessFailure(message: "no free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Polls `url` until something answers (any status) or `seconds` pass.
func waitForAnswer(_ url: String, seconds: TimeInterval = 30) async -> (status: Int, body: String)? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let r = await httpGet(url) { return r }
        try? await Task.sleep(nanoseconds: 100_000_000)
    }
    return nil
}
