import Adapters
import Domain
import Foundation
import Logging
import Ports

/// A setting with a bad value. The message names the setting; programs exit with status 2.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let setting: String
    public let message: String
    public init(_ setting: String, _ message: String) { self.setting = setting; self.message = message }
    public var description: String { "configuration error: \(setting): \(message)" }
}

/// Where the data lives.
public enum DatabaseLocation: Sendable {
    case sqlite(path: String)
    case mariadb(MariaDBConfig)

    public var isEmbedded: Bool { if case .sqlite = self { return true } else { return false } }

    /// Human description without credentials.
    public var redacted: String {
        switch self {
        case .sqlite(let p): return "sqlite://\(p)"
        case .mariadb(let c): return "mariadb://\(c.user)@\(c.endpoint)/\(c.database)"
        }
    }
}

/// Every `OPSIQ_*` setting, read from the environment and optionally a KEY=VALUE file named by
/// `OPSIQ_CONFIG_FILE` (the environment wins). Validated once, at start.
public struct AppConfig: Sendable {
    public var database: DatabaseLocation
    public var dataDir: String
    /// Raw master key from `OPSIQ_MASTER_KEY`, if set. See `MasterKey.resolve`.
    public var masterKeySetting: [UInt8]?
    /// Earlier master keys (OPSIQ_MASTER_KEY_PREVIOUS), kept only to open secrets during a rotation.
    public var previousMasterKeys: [[UInt8]]
    public var host: String
    public var port: Int
    public var baseURL: String
    public var logLevel: Logger.Level
    public var workerConcurrency: Int
    public var embeddedWorker: Bool
    public var dbPoolSize: Int
    public var jobLeaseSeconds: Int
    public var shutdownGraceSeconds: Int
    public var geoIPPath: String
    /// Optional GeoLite City legacy database (GeoLiteCity.dat): visitors then get a city as well as a country.
    public var geoIPCityPath: String?
    /// Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (loopback by default: nginx on the same host).
    public var trustedProxies: [CIDR]
    /// Outgoing mail (password resets, invitations): smtp://user:pass@host:587?starttls=required or smtps://…:465.
    public var smtpURL: String?
    /// The From address of OpsIQ's own emails.
    public var mailFrom: MailAddress
    /// Tracking events that may wait to be written before beacons are answered 503 (back-pressure).
    public var ingestQueueCapacity: Int
    /// Beacons answered once their events are in a local fsync'd spool (OPSIQ_DATA_DIR/spool/web-<port>),
    /// drained into the database in large transactions (on by default with MariaDB).
    public var ingestSpool: Bool
    /// Bytes the spool may hold before beacons are answered 503.
    public var ingestSpoolMaxBytes: Int
    /// The SSRF guard for webhooks and automations: networks and hosts that may be reached although
    /// private (OPSIQ_OUTBOUND_ALLOW), and whether plain http:// is allowed (OPSIQ_OUTBOUND_ALLOW_HTTP).
    public var outboundPolicy: OutboundAddressPolicy
    /// Consecutive failed webhook attempts that disable an endpoint (OPSIQ_WEBHOOK_DISABLE_AFTER, spec: 15).
    public var webhookDisableAfter: Int
    /// Seconds a webhook receiver has to answer (OPSIQ_WEBHOOK_TIMEOUT_SECONDS, default 15).
    public var webhookTimeoutSeconds: Int
    /// Days the webhook delivery log (delivered and given-up deliveries with their attempts) and the
    /// automation run log are kept (OPSIQ_DELIVERY_LOG_DAYS, default 30). Pending deliveries are never pruned.
    public var deliveryLogDays: Int

    /// Every setting name this program reads, for `--help` and unknown-key warnings.
    public static let settingNames = [
        "OPSIQ_CONFIG_FILE", "OPSIQ_DATABASE_URL", "OPSIQ_DATA_DIR", "OPSIQ_MASTER_KEY", "OPSIQ_MASTER_KEY_PREVIOUS", "OPSIQ_HOST", "OPSIQ_PORT",
        "OPSIQ_BASE_URL", "OPSIQ_LOG_LEVEL", "OPSIQ_WORKER_CONCURRENCY", "OPSIQ_EMBEDDED_WORKER", "OPSIQ_DB_POOL_SIZE",
        "OPSIQ_JOB_LEASE_SECONDS", "OPSIQ_SHUTDOWN_GRACE_SECONDS", "OPSIQ_GEOIP_PATH", "OPSIQ_GEOIP_CITY_PATH", "OPSIQ_TRUSTED_PROXIES", "OPSIQ_SMTP_URL", "OPSIQ_MAIL_FROM",
        "OPSIQ_INGEST_QUEUE", "OPSIQ_INGEST_SPOOL", "OPSIQ_INGEST_SPOOL_MAX_MB",
        "OPSIQ_OUTBOUND_ALLOW", "OPSIQ_OUTBOUND_ALLOW_HTTP", "OPSIQ_WEBHOOK_DISABLE_AFTER", "OPSIQ_WEBHOOK_TIMEOUT_SECONDS",
        "OPSIQ_DELIVERY_LOG_DAYS",
    ]

    /// Reads the configuration. `environment` defaults to the process environment.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        var values: [String: String] = [:]
        if let file = environment["OPSIQ_CONFIG_FILE"], !file.isEmpty {
            values = try readFile(file)
        }
        for (k, v) in environment where k.hasPrefix("OPSIQ_") { values[k] = v }
        return try AppConfig(values: values)
    }

    static func readFile(_ path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError("OPSIQ_CONFIG_FILE", "cannot read \(path)")
        }
        var out: [String: String] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line.removeFirst(7) }
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError("OPSIQ_CONFIG_FILE", "\(path) line \(n + 1): expected KEY=VALUE")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            guard key.hasPrefix("OPSIQ_") else {
                throw ConfigError("OPSIQ_CONFIG_FILE", "\(path) line \(n + 1): \(key) is not an OPSIQ_ setting")
            }
            out[key] = value
        }
        return out
    }

    init(values v: [String: String]) throws {
        func get(_ k: String) -> String? {
            guard let s = v[k]?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        func int(_ k: String, _ def: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let s = get(k) else { return def }
            guard let n = Int(s), range.contains(n) else {
                throw ConfigError(k, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(s)'")
            }
            return n
        }
        dataDir = get("OPSIQ_DATA_DIR") ?? "./var"
        let url = get("OPSIQ_DATABASE_URL") ?? "sqlite://\((dataDir as NSString).appendingPathComponent("opsiq.sqlite"))"
        dbPoolSize = try int("OPSIQ_DB_POOL_SIZE", 10, 1...500)
        if url.hasPrefix("sqlite://") {
            var path = String(url.dropFirst("sqlite://".count))
            if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
            guard !path.isEmpty, path != "/" else {
                throw ConfigError("OPSIQ_DATABASE_URL", "sqlite URL needs a file path, like sqlite:///var/lib/opsiq/opsiq.sqlite")
            }
            database = .sqlite(path: path.removingPercentEncoding ?? path)
        } else if url.hasPrefix("mariadb://") || url.hasPrefix("mysql://") {
            do {
                var c = try MariaDBConfig.parse(url: url)
                if !url.contains("pool=") { c.poolSize = dbPoolSize }
                database = .mariadb(c)
            } catch {
                throw ConfigError("OPSIQ_DATABASE_URL", "\(error)")
            }
        } else {
            throw ConfigError("OPSIQ_DATABASE_URL", "must start with mariadb:// (mariadb://user:pass@host:3306/db) or sqlite:// (sqlite:///path/to/opsiq.sqlite)")
        }
        if let k = get("OPSIQ_MASTER_KEY") {
            guard let bytes = MasterKey.decode(k) else {
                throw ConfigError("OPSIQ_MASTER_KEY", "must be 32 bytes written as base64 (44 characters) or hex (64 characters); generate one with: openssl rand -base64 32")
            }
            masterKeySetting = bytes
        } else {
            if case .mariadb = database {
                throw ConfigError("OPSIQ_MASTER_KEY", "is required with MariaDB (every web and worker process must share it); generate one with: openssl rand -base64 32")
            }
            masterKeySetting = nil
        }
        var previous: [[UInt8]] = []
        for item in (get("OPSIQ_MASTER_KEY_PREVIOUS") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let k = MasterKey.decode(item) else {
                throw ConfigError("OPSIQ_MASTER_KEY_PREVIOUS", "each earlier key must be 32 bytes as base64 or hex, separated by commas")
            }
            previous.append(k)
        }
        previousMasterKeys = previous
        host = get("OPSIQ_HOST") ?? "127.0.0.1"
        port = try int("OPSIQ_PORT", 8080, 1...65535)
        if let b = get("OPSIQ_BASE_URL") {
            guard let u = URL(string: b), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
                throw ConfigError("OPSIQ_BASE_URL", "must be an absolute http(s) URL like https://opsiq.example.com, got '\(b)'")
            }
            baseURL = b.hasSuffix("/") ? String(b.dropLast()) : b
        } else {
            let shownHost = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host
            baseURL = "http://\(shownHost):\(port)"
        }
        if let l = get("OPSIQ_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: l.lowercased()) else {
                throw ConfigError("OPSIQ_LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical; got '\(l)'")
            }
            logLevel = level
        } else {
            logLevel = .info
        }
        workerConcurrency = try int("OPSIQ_WORKER_CONCURRENCY", 4, 1...256)
        switch get("OPSIQ_EMBEDDED_WORKER")?.lowercased() ?? "auto" {
        case "auto": embeddedWorker = database.isEmbedded
        case "true", "1", "yes", "on": embeddedWorker = true
        case "false", "0", "no", "off": embeddedWorker = false
        case let other: throw ConfigError("OPSIQ_EMBEDDED_WORKER", "must be auto, true or false; got '\(other)'")
        }
        jobLeaseSeconds = try int("OPSIQ_JOB_LEASE_SECONDS", 300, 5...86400)
        ingestQueueCapacity = try int("OPSIQ_INGEST_QUEUE", 20_000, 100...1_000_000)
        switch (get("OPSIQ_INGEST_SPOOL") ?? "auto").lowercased() {
        case "auto": ingestSpool = !database.isEmbedded
        case "true", "1", "yes", "on": ingestSpool = true
        case "false", "0", "no", "off": ingestSpool = false
        case let other: throw ConfigError("OPSIQ_INGEST_SPOOL", "must be auto, on or off; got '\(other)'")
        }
        ingestSpoolMaxBytes = try int("OPSIQ_INGEST_SPOOL_MAX_MB", 512, 16...65_536) << 20
        shutdownGraceSeconds = try int("OPSIQ_SHUTDOWN_GRACE_SECONDS", 30, 0...3600)
        geoIPPath = get("OPSIQ_GEOIP_PATH") ?? "/usr/share/GeoIP/GeoIP.dat"
        geoIPCityPath = get("OPSIQ_GEOIP_CITY_PATH")
        if let path = geoIPCityPath {
            // Checked here (the file's trailer only), so a wrong path stops start-up instead of silently losing cities.
            do { try GeoIPCityDatabase.check(path: path) } catch { throw ConfigError("OPSIQ_GEOIP_CITY_PATH", "\(error)") }
        }
        var proxies: [CIDR] = []
        for item in (get("OPSIQ_TRUSTED_PROXIES") ?? "127.0.0.1,::1").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty && item != "none" {
            guard let c = CIDR(item) else {
                throw ConfigError("OPSIQ_TRUSTED_PROXIES", "'\(item)' is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32); use none to trust no proxy")
            }
            proxies.append(c)
        }
        trustedProxies = proxies
        let from = get("OPSIQ_MAIL_FROM") ?? "OpsIQ <noreply@localhost>"
        if let lt = from.firstIndex(of: "<"), let gt = from.lastIndex(of: ">"), lt < gt {
            let addr = String(from[from.index(after: lt)..<gt]).trimmingCharacters(in: .whitespaces)
            let name = from[..<lt].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            mailFrom = MailAddress(addr, name: name.isEmpty ? nil : name)
        } else {
            mailFrom = MailAddress(from.trimmingCharacters(in: .whitespaces))
        }
        guard mailFrom.email.contains("@"), !mailFrom.email.contains(" ") else {
            throw ConfigError("OPSIQ_MAIL_FROM", "must be an email address, optionally with a name: OpsIQ <support@example.com>")
        }
        let allowHTTP: Bool
        switch (get("OPSIQ_OUTBOUND_ALLOW_HTTP") ?? "false").lowercased() {
        case "true", "1", "yes", "on": allowHTTP = true
        case "false", "0", "no", "off": allowHTTP = false
        case let other: throw ConfigError("OPSIQ_OUTBOUND_ALLOW_HTTP", "must be true or false; got '\(other)'")
        }
        do {
            outboundPolicy = try OutboundAddressPolicy.parse(allow: get("OPSIQ_OUTBOUND_ALLOW") ?? "", allowHTTP: allowHTTP)
        } catch {
            throw ConfigError("OPSIQ_OUTBOUND_ALLOW", "\(error)")
        }
        webhookDisableAfter = try int("OPSIQ_WEBHOOK_DISABLE_AFTER", 15, 1...1000)
        webhookTimeoutSeconds = try int("OPSIQ_WEBHOOK_TIMEOUT_SECONDS", 15, 1...120)
        deliveryLogDays = try int("OPSIQ_DELIVERY_LOG_DAYS", 30, 1...3650)
        smtpURL = get("OPSIQ_SMTP_URL")
        if let u = smtpURL {
            do { _ = try SMTPConfig.parse(url: u, defaultFrom: mailFrom) } catch { throw ConfigError("OPSIQ_SMTP_URL", "\(error)") }
        }
    }
}

/// The master key that seals secrets at rest.
public enum MasterKey {
    /// 32 bytes from base64 or hex text.
    public static func decode(_ text: String) -> [UInt8]? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count == 64, t.allSatisfy(\.isHexDigit) {
            var out: [UInt8] = []
            var i = t.startIndex
            while i < t.endIndex {
                let j = t.index(i, offsetBy: 2)
                guard let b = UInt8(t[i..<j], radix: 16) else { return nil }
                out.append(b)
                i = j
            }
            return out
        }
        if let d = Data(base64Encoded: t), d.count == 32 { return Array(d) }
        return nil
    }

    /// The configured key, or in embedded mode the one in `DATA_DIR/master.key`, generated (mode 0600) on first run.
    public static func resolve(_ config: AppConfig, random: any RandomSource) throws -> [UInt8] {
        if let k = config.masterKeySetting { return k }
        let path = (config.dataDir as NSString).appendingPathComponent("master.key")
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let k = decode(text) else {
                throw ConfigError("OPSIQ_MASTER_KEY", "\(path) does not hold a valid 32-byte key; restore it from your backup (secrets sealed with it cannot be read without it)")
            }
            return k
        }
        do {
            try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        } catch {
            throw ConfigError("OPSIQ_DATA_DIR", "cannot create \(config.dataDir): \(error.localizedDescription)")
        }
        let key = random.bytes(32)
        let text = Data(key).base64EncodedString() + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError("OPSIQ_DATA_DIR", "cannot write \(path)")
        }
        return key
    }
}
