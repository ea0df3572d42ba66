import Adapters
import Composition
import Domain
import Foundation
import Ports
import Testing

@Suite struct SecretRotationTests {
    @Test(arguments: Engine.all)
    func rotationResealsEverySecretUnderTheNewKey(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let keyA = Array(repeating: UInt8(1), count: 32), keyB = Array(repeating: UInt8(2), count: 32)
            let a = try makeServices(t, env: ["OPSIQ_MASTER_KEY": Data(keyA).base64EncodedString()])
            let site = try await a.setup.createSite(.init(name: "Shop", domain: "shop.example.com"))
            let owner = try await a.setup.createOwner(.init(email: "o@example.com", name: "O", password: AccessFixture.password))
            _ = try await a.auth.beginTwoFactor(for: owner)
            // The new key alone cannot read what the old one sealed.
            let bOnly = try AESGCMSecretBox(masterKey: keyB)
            let sealed = try await t.db.read { try await $0.queryFirst("SELECT site_secret_enc FROM workspaces")?.string("site_secret_enc") } ?? ""
            #expect(throws: (any Error).self) { try bOnly.open(sealed) }
            let rotating = try AESGCMSecretBox(masterKey: keyB, previousKeys: [keyA])
            let report = try await SecretRotation(db: t.db, secrets: rotating).rotate()
            #expect(report.resealed == 2 && report.unreadable.isEmpty, "site secret and TOTP secret")
            let again = try await SecretRotation(db: t.db, secrets: rotating).rotate()
            #expect(again.resealed == 0 && again.alreadyCurrent == 2, "idempotent")
            let after = try await t.db.read { try await $0.queryFirst("SELECT site_secret_enc FROM workspaces")?.string("site_secret_enc") } ?? ""
            #expect(try bOnly.open(after) == site.siteSecret, "the new key alone now opens it, and the value is unchanged")
            // A value no configured key opens is reported, not dropped.
            let stranger = try AESGCMSecretBox(masterKey: Array(repeating: 9, count: 32))
            let lost = try await SecretRotation(db: t.db, secrets: stranger).rotate()
            #expect(lost.unreadable.count == 2 && lost.resealed == 0)
        }
    }

    @Test func cliRotatesAndResetsPasswords() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("opsiq-rot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let admin = try productPath("opsiq-admin")
        var r = try await run(admin, ["create-site", "--name", "Shop", "--domain", "shop.example.com"], env: ["OPSIQ_DATA_DIR": dir])
        #expect(r.status == 0)
        let oldKey = try String(contentsOfFile: dir + "/master.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let newKey = Data(repeating: 7, count: 32).base64EncodedString()
        r = try await run(admin, ["doctor"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey])
        #expect(r.stdout.contains("[FAIL] master key"), "the new key alone cannot open the old secrets: \(r.stdout)")
        r = try await run(admin, ["secrets", "rotate"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey, "OPSIQ_MASTER_KEY_PREVIOUS": oldKey])
        #expect(r.status == 0 && r.stdout.contains("re-encrypted 1 secret(s)"), "\(r.stdout) \(r.stderr)")
        r = try await run(admin, ["doctor"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey])
        #expect(r.stdout.contains("[ok  ] master key"), "\(r.stdout)")
        r = try await run(admin, ["create-owner", "--email", "o@example.com", "--name", "O", "--password-stdin"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey], stdin: AccessFixture.password + "\n")
        #expect(r.status == 0)
        r = try await run(admin, ["reset-password", "--email", "o@example.com", "--password-stdin"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey], stdin: "another long password\n")
        #expect(r.status == 0 && r.stdout.contains("changed"))
        r = try await run(admin, ["reset-password", "--email", "nobody@example.com", "--password-stdin"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey], stdin: "another long password\n")
        #expect(r.status == 1)
        r = try await run(admin, ["action", "run", "sites.list"], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey])
        #expect(r.status == 0 && r.stdout.contains("\"ok\":true") && r.stdout.contains("shop.example.com"))
        r = try await run(admin, ["action", "run", "settings.global.set", "--json", #"{"name":"currency","value":"euro"}"#], env: ["OPSIQ_DATA_DIR": dir, "OPSIQ_MASTER_KEY": newKey])
        #expect(r.status == 2 && r.stdout.contains("currency"), "a bad value names the setting: \(r.stdout)")
    }
}
