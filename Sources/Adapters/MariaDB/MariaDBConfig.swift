import Foundation
import Ports

/// How to reach one MariaDB database and how big the connection pool may grow.
public struct MariaDBConfig: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    /// Never logged, never part of `description`.
    public var password: String
    /// Database selected on connect; empty selects none (admin tools that run CREATE DATABASE).
    public var database: String
    /// When set, connects over this unix socket and ignores `host`/`port`; otherwise always TCP,
    /// even for "localhost" (Connector/C would silently switch "localhost" to its default socket).
    public var unixSocket: String?
    /// Most connections open at once; also the number of threads that run the blocking C calls.
    public var poolSize: Int
    public var connectTimeoutSeconds: Int
    /// How long `read`/`transaction` wait for a free connection before `SQLError.poolTimeout`.
    public var acquireTimeoutSeconds: Int
    /// Socket read/write timeout, applied once per statement by Connector/C: a statement (or a
    /// lock wait such as `GET_LOCK(name, 120)`) running longer fails with `.unavailable` and the
    /// connection is dropped. It is what detects a server that vanished without closing the socket.
    /// Raise it (`?ioTimeout=3600`) for long migrations.
    public var ioTimeoutSeconds: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 3306,
        user: String,
        password: String = "",
        database: String,
        unixSocket: String? = nil,
        poolSize: Int = 10,
        connectTimeoutSeconds: Int = 5,
        acquireTimeoutSeconds: Int = 10,
        ioTimeoutSeconds: Int = 300
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.unixSocket = unixSocket
        self.poolSize = poolSize
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.acquireTimeoutSeconds = acquireTimeoutSeconds
        self.ioTimeoutSeconds = ioTimeoutSeconds
    }

    /// Where the driver connects, for logs and error messages (no credentials).
    public var endpoint: String {
        if let unixSocket { return "unix:\(unixSocket)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `mariadb://user:pass@host:port/db?socket=/path/to.sock&pool=16` (`mysql://` too).
    ///
    /// User, password, database and query values are percent-decoded, so a password holding
    /// `@`, `:` or `/` is written `%40`, `%3A`, `%2F`. Query keys: `socket`, `pool`,
    /// `connectTimeout`, `acquireTimeout`, `ioTimeout` (seconds); any other key is an error,
    /// so a typo does not silently fall back to a default.
    public static func parse(url: String) throws -> MariaDBConfig {
        let url = url.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = url.range(of: "://") else {
            throw SQLError.configuration("MariaDB URL has no scheme: expected mariadb://user:password@host:3306/database")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "mariadb" || scheme == "mysql" else {
            throw SQLError.configuration("MariaDB URL scheme '\(scheme)' is not supported: use mariadb:// or mysql://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])

        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // The password may itself contain an unescaped '@': the host starts after the last one.
        guard let at = rest.lastIndex(of: "@") else {
            throw SQLError.configuration("MariaDB URL has no user: expected mariadb://user:password@host:3306/database")
        }
        let userInfo = rest[..<at]
        let hostPort = rest[rest.index(after: at)...]

        let rawUser: Substring
        let rawPassword: Substring
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            rawPassword = userInfo[userInfo.index(after: colon)...]
        } else {
            rawUser = userInfo
            rawPassword = ""
        }
        let user = try decode(rawUser, what: "user name")
        guard !user.isEmpty else { throw SQLError.configuration("MariaDB URL has an empty user name") }
        let password = try decode(rawPassword, what: "password")
        let database = try decode(path, what: "database name")
        if database.contains("/") {
            throw SQLError.configuration("MariaDB URL database name '\(database)' contains '/'")
        }

        var host = ""
        var port = 3306
        var portText: Substring? = nil
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw SQLError.configuration("MariaDB URL host '\(hostPort)' has an unclosed '['")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw SQLError.configuration("MariaDB URL host '\(hostPort)' has junk after ']'")
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw SQLError.configuration("MariaDB URL port '\(portText)' is not a number between 1 and 65535")
            }
            port = p
        }

        var config = MariaDBConfig(host: host, port: port, user: user, password: password, database: database)
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = try decode(parts.count > 1 ? parts[1] : "", what: "value of '\(key)'")
            switch key {
            case "socket":
                guard value.hasPrefix("/") else {
                    throw SQLError.configuration("MariaDB URL socket '\(value)' must be an absolute path")
                }
                config.unixSocket = value
            case "pool":
                config.poolSize = try number(value, key: key, range: 1...1000)
            case "connectTimeout":
                config.connectTimeoutSeconds = try number(value, key: key, range: 1...3600)
            case "acquireTimeout":
                config.acquireTimeoutSeconds = try number(value, key: key, range: 0...3600)
            case "ioTimeout":
                config.ioTimeoutSeconds = try number(value, key: key, range: 1...86400)
            default:
                throw SQLError.configuration(
                    "MariaDB URL option '\(key)' is unknown: use socket, pool, connectTimeout, acquireTimeout or ioTimeout")
            }
        }
        if config.host.isEmpty {
            guard config.unixSocket != nil else {
                throw SQLError.configuration("MariaDB URL has no host: give one, or ?socket=/path/to/mysqld.sock")
            }
            config.host = "localhost"
        }
        try config.validate()
        return config
    }

    /// Checks what a hand-built config may get wrong (`parse(url:)` already does).
    public func validate() throws {
        guard poolSize >= 1 else { throw SQLError.configuration("MariaDB poolSize must be at least 1 (got \(poolSize))") }
        guard (1...65535).contains(port) else { throw SQLError.configuration("MariaDB port \(port) is out of range") }
        guard connectTimeoutSeconds >= 1 else {
            throw SQLError.configuration("MariaDB connectTimeoutSeconds must be at least 1 (got \(connectTimeoutSeconds))")
        }
        guard acquireTimeoutSeconds >= 0 else {
            throw SQLError.configuration("MariaDB acquireTimeoutSeconds must not be negative (got \(acquireTimeoutSeconds))")
        }
        guard ioTimeoutSeconds >= 1 else {
            throw SQLError.configuration("MariaDB ioTimeoutSeconds must be at least 1 (got \(ioTimeoutSeconds))")
        }
        guard !user.isEmpty else { throw SQLError.configuration("MariaDB user is empty") }
        if unixSocket == nil, host.isEmpty { throw SQLError.configuration("MariaDB host is empty and no unix socket is set") }
    }

    private static func decode(_ raw: Substring, what: String) throws -> String {
        guard let s = String(raw).removingPercentEncoding else {
            throw SQLError.configuration("MariaDB URL \(what) has a malformed %-escape")
        }
        return s
    }

    private static func number(_ value: String, key: String, range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(value), range.contains(n) else {
            throw SQLError.configuration(
                "MariaDB URL option \(key)='\(value)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}

extension MariaDBConfig: CustomStringConvertible, CustomReflectable {
    /// The URL form with the password masked, safe to log.
    public var description: String {
        var text = "mariadb://\(user):***@\(unixSocket == nil ? endpoint : "")/\(database)?pool=\(poolSize)"
        if let unixSocket { text += "&socket=\(unixSocket)" }
        return text
    }

    /// `dump` and debugger views show the masked description, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
