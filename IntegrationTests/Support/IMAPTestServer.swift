import Foundation
import Ports

/// A real IMAP server (Dovecot from Debian, `apt-get install dovecot-imapd`) on free loopback
/// ports: its own config, state and Maildirs under a temp dir, users from a passwd-file, a
/// self-signed certificate, IMAPS and IMAP with STARTTLS. The master runs as the unprivileged
/// `dovecot` user (never root). `stop()` ends it by pid and removes the directory.
final class IMAPTestServer: @unchecked Sendable {
    static let dovecot = "/usr/sbin/dovecot"
    let imapPort: Int
    let imapsPort: Int
    let directory: URL
    private var pid: Int32 = 0

    /// `users`: name → password.
    init(users: [String: String]) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.dovecot) else {
            throw TestServerFailure(message: "Dovecot is missing: apt-get install dovecot-imapd (scripts/install-deps.sh --test)")
        }
        imapPort = try freePort()
        imapsPort = try freePort()
        directory = URL(fileURLWithPath: "/tmp/opsiq-dovecot-\(UUID().uuidString.prefix(8))")
        let d = directory.path
        for sub in ["run", "state", "mail"] {
            try FileManager.default.createDirectory(atPath: "\(d)/\(sub)", withIntermediateDirectories: true)
        }
        let (cert, key) = try SMTPTestServer.selfSignedCertificate(in: directory)
        try users.map { "\($0.key):{PLAIN}\($0.value)::::::" }.joined(separator: "\n").appending("\n")
            .write(toFile: "\(d)/passwd", atomically: true, encoding: .utf8)
        let config = """
            base_dir = \(d)/run
            state_dir = \(d)/state
            log_path = \(d)/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = yes
            ssl_cert = <\(cert)
            ssl_key = <\(key)
            disable_plaintext_auth = yes
            auth_mechanisms = plain login
            default_internal_user = dovecot
            default_internal_group = dovecot
            default_login_user = dovecot
            first_valid_uid = 1
            first_valid_gid = 1
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(d)/passwd
            }
            userdb {
              driver = static
              args = uid=dovecot gid=dovecot home=\(d)/mail/%u
            }
            mail_location = maildir:~/Maildir
            service imap-login {
              chroot =
              inet_listener imap {
                address = 127.0.0.1
                port = \(imapPort)
              }
              inet_listener imaps {
                address = 127.0.0.1
                port = \(imapsPort)
                ssl = yes
              }
            }
            service anvil {
              chroot =
            }

            """
        try config.write(toFile: "\(d)/dovecot.conf", atomically: true, encoding: .utf8)
        try Self.run("/bin/chown", ["-R", "dovecot:dovecot", d])
        // The master daemonises; runuser makes every Dovecot process unprivileged.
        try Self.run("/usr/sbin/runuser", ["-u", "dovecot", "--", Self.dovecot, "-c", "\(d)/dovecot.conf"])
        let deadline = Date().addingTimeInterval(10)
        while true {
            if let text = try? String(contentsOfFile: "\(d)/run/master.pid", encoding: .utf8), let p = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               Self.listening(imapsPort) {
                pid = p
                break
            }
            guard Date() < deadline else { throw TestServerFailure(message: "Dovecot did not start:\n\(log)") }
            try await Task.sleep(nanoseconds: 30_000_000)
        }
    }

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

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
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
