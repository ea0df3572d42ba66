import Foundation
import Ports

/// A real IMAP server (Dovecot from Debian, `apt-get install dovecot-imapd`) on free loopback
/// ports, started by scripts/test-dovecot.sh: its own config, state and Maildirs under a temp dir,
/// users from a passwd-file, a self-signed certificate, IMAPS and IMAP with STARTTLS. The master runs as the unprivileged
/// `dovecot` user (never root). `stop()` ends it by pid and removes the directory.
final class IMAPTestServer: @unchecked Sendable {
    static let dovecot = "/usr/sbin/dovecot"
    let imapPort: Int
    let imapsPort: Int
    let directory: URL
    private var pid: Int32 = 0

    /// `users`: name → password. The server is set up and started by scripts/test-dovecot.sh (the
    /// benchmark's script, so both run the same configuration), through `run`, so it holds none of
    /// this process's descriptors.
    init(users: [String: String]) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.dovecot) else {
            throw TestServerFailure(message: "Dovecot is missing: apt-get install dovecot-imapd (scripts/install-deps.sh --test)")
        }
        directory = URL(fileURLWithPath: "/tmp/opsiq-dovecot-\(UUID().uuidString.prefix(8))")
        let d = directory.path
        let pairs = users.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        do {
            try Self.run("/bin/bash", [Self.startScript, "start", d] + pairs)
        } catch {
            let log = (try? String(contentsOfFile: "\(d)/dovecot.log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            throw TestServerFailure(message: "Dovecot did not start (\(error)):\n\(log)")
        }
        func number(_ file: String) -> Int32? {
            (try? String(contentsOfFile: "\(d)/\(file)", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let imaps = number("imaps_port"), let imap = number("imap_port"), let p = number("pid") else {
            throw TestServerFailure(message: "scripts/test-dovecot.sh wrote no ports or pid in \(d)")
        }
        imapsPort = Int(imaps)
        imapPort = Int(imap)
        pid = p
    }

    static let startScript = repoRoot.appendingPathComponent("scripts/test-dovecot.sh").path

    var log: String { (try? String(contentsOfFile: directory.appendingPathComponent("dovecot.log").path, encoding: .utf8)) ?? "" }

    /// posix_spawn and waitpid rather than Foundation's Process: the daemonised Dovecot master
    /// would inherit Process's internal descriptors, and Process then never sees runuser end.
    static func run(_ tool: String, _ args: [String]) throws {
        let closeAndExec = "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])"
        var cargs: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/python3", "-c", closeAndExec, tool] + args).map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The daemon must hold none of the test process's descriptors: a pipe another test reads to
        // its end would never end while Dovecot keeps a copy of it.
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // (closefrom is not visible to Swift, so Python closes them and execs the tool.)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/usr/bin/python3", &actions, nil, &cargs, environ)
        guard rc == 0 else { throw TestServerFailure(message: "cannot start \(tool): error \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestServerFailure(message: "\(tool) \(args.joined(separator: " ")) failed (status \(status))") }
    }

    /// An account for the live client: IMAPS (implicit TLS) or STARTTLS on the plain port.
    func account(_ user: String, _ password: String, security: IMAPAccount.Security = .tls, folder: String = "INBOX") -> IMAPAccount {
        IMAPAccount(host: "127.0.0.1", port: security == .tls ? imapsPort : imapPort, security: security, username: user, password: password,
                    folder: folder, verifyPeer: false, timeoutSeconds: 10)
    }

    /// Puts messages into a user's folder with IMAP APPEND over one connection, unread like delivered mail,
    /// through the benchmark's bulk-append helper (bench/mail/append.py; curl's upload would flag them \Seen).
    func append(_ user: String, _ password: String, _ raws: [String], folder: String = "INBOX") throws {
        let file = directory.appendingPathComponent("append-\(UUID().uuidString).bin")
        var data = Data()
        for raw in raws {
            let bytes = Array(raw.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            data.append(contentsOf: Array("\(bytes.count)\n".utf8))
            data.append(contentsOf: bytes)
        }
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.run("/usr/bin/python3", [Self.appendScript, "127.0.0.1", String(imapsPort), user, password, file.path, folder])
    }

    func append(_ user: String, _ password: String, _ raw: String, folder: String = "INBOX") throws {
        try append(user, password, [raw], folder: folder)
    }

    static let appendScript = repoRoot.appendingPathComponent("bench/mail/append.py").path

    /// SIGTERM to the master (it stops its children), then waits until the port is free.
    func stop() async {
        if pid > 0 {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while kill(pid, 0) == 0 && Date() < deadline { try? await Task.sleep(nanoseconds: 30_000_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            pid = 0
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
