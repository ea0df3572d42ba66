import Composition
import Foundation
import Testing

@Suite struct ConfigTests {
    @Test func defaultsAreEmbeddedSQLite() throws {
        let c = try AppConfig.load(environment: [:])
        guard case .sqlite(let path) = c.database else { Issue.record("expected sqlite"); return }
        #expect(path == "./var/opsiq.sqlite")
        #expect(c.port == 8080 && c.host == "127.0.0.1")
        #expect(c.baseURL == "http://127.0.0.1:8080")
        #expect(c.embeddedWorker)
        #expect(c.masterKeySetting == nil)
    }

    @Test func mariadbURLNeedsAMasterKey() throws {
        do {
            _ = try AppConfig.load(environment: ["OPSIQ_DATABASE_URL": "mariadb://u:p@db.internal:3307/opsiq"])
            Issue.record("accepted MariaDB without a master key")
        } catch let e as ConfigError {
            #expect(e.setting == "OPSIQ_MASTER_KEY")
        }
        let key = Data(repeating: 1, count: 32).base64EncodedString()
        let c = try AppConfig.load(environment: ["OPSIQ_DATABASE_URL": "mariadb://u%40x:p%3Ass@db.internal:3307/opsiq?pool=7", "OPSIQ_MASTER_KEY": key])
        guard case .mariadb(let m) = c.database else { Issue.record("expected mariadb"); return }
        #expect(m.host == "db.internal" && m.port == 3307 && m.database == "opsiq" && m.user == "u@x" && m.password == "p:ss" && m.poolSize == 7)
        #expect(!c.embeddedWorker, "production runs opsiq-worker separately")
        #expect(!c.database.redacted.contains("p:ss"), "the password never shows")
    }

    @Test(arguments: [
        ("OPSIQ_PORT", "eighty"), ("OPSIQ_PORT", "70000"), ("OPSIQ_DATABASE_URL", "postgres://x"), ("OPSIQ_DATABASE_URL", "sqlite://"),
        ("OPSIQ_LOG_LEVEL", "loud"), ("OPSIQ_WORKER_CONCURRENCY", "0"), ("OPSIQ_EMBEDDED_WORKER", "maybe"), ("OPSIQ_MASTER_KEY", "short"),
        ("OPSIQ_BASE_URL", "ftp://x"), ("OPSIQ_DB_POOL_SIZE", "-1"), ("OPSIQ_JOB_LEASE_SECONDS", "1"),
    ])
    func badValuesNameTheSetting(_ setting: String, _ value: String) {
        do {
            _ = try AppConfig.load(environment: [setting: value])
            Issue.record("accepted \(setting)=\(value)")
        } catch let e as ConfigError {
            #expect(e.setting == setting)
            #expect(e.description.contains(setting))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func configFileIsReadAndEnvironmentWins() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-\(UUID()).env").path
        try """
        # OpsIQ settings
        OPSIQ_PORT=9090
        export OPSIQ_HOST="0.0.0.0"
        OPSIQ_DATABASE_URL=sqlite:///tmp/x.sqlite?mode=rwc&a=b
        OPSIQ_LOG_LEVEL=debug
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try AppConfig.load(environment: ["OPSIQ_CONFIG_FILE": path, "OPSIQ_LOG_LEVEL": "error"])
        #expect(c.port == 9090)
        #expect(c.host == "0.0.0.0")
        #expect(c.baseURL == "http://127.0.0.1:9090")
        #expect(c.logLevel == .error)
        guard case .sqlite(let p) = c.database else { Issue.record("expected sqlite"); return }
        #expect(p == "/tmp/x.sqlite")
    }

    @Test func badConfigFileLineNamesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-\(UUID()).env").path
        try "OPSIQ_PORT 9090\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: ["OPSIQ_CONFIG_FILE": path]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(environment: ["OPSIQ_CONFIG_FILE": "/nonexistent/opsiq.env"]) }
    }

    @Test func masterKeyIsGeneratedOnceInEmbeddedMode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try AppConfig.load(environment: ["OPSIQ_DATA_DIR": dir])
        let k1 = try MasterKey.resolve(c, random: Adapters_SystemRandom())
        let k2 = try MasterKey.resolve(c, random: Adapters_SystemRandom())
        #expect(k1.count == 32 && k1 == k2)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/master.key")
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(MasterKey.decode(String(repeating: "0f", count: 32)) == Array(repeating: 15, count: 32))
    }
}
