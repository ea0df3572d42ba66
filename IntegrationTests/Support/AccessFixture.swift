import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
@testable import WebApp

/// An installation with two sites, an Owner, a Full Admin, an Agent with a department in site A and
/// an Agent with no department, over a real test database.
struct AccessFixture {
    let t: TestDatabase
    let services: Services
    let clock: ManualClock
    let siteA: Workspace
    let siteB: Workspace
    let owner: User
    let admin: User
    let agentA: User
    let agentNone: User
    static let password = "correct horse battery"

    static func make(_ t: TestDatabase, env: [String: String] = [:]) async throws -> AccessFixture {
        let clock = ManualClock(Date())
        let s = try makeServices(t, clock: clock, random: SystemRandom(), env: env)
        let owner = try await s.setup.createOwner(.init(email: "owner@example.com", name: "Olive Owner", password: password))
        let siteA = try await s.setup.createSite(.init(name: "Site A", domain: "a.example.com"))
        let siteB = try await s.setup.createSite(.init(name: "Site B", domain: "b.example.com"))
        let hash = try s.hasher.hash(password)
        func user(_ email: String, _ role: Role) async throws -> User {
            try await s.db.transaction { try await s.users.insert(NewUser(email: email, name: email.components(separatedBy: "@")[0], role: role, passwordHash: hash), now: clock.now(), in: $0) }
        }
        let admin = try await user("admin@example.com", .fullAdmin)
        let agentA = try await user("agent.a@example.com", .agent)
        let agentNone = try await user("agent.none@example.com", .agent)
        try await s.db.transaction { tx in
            let dept = try await tx.execute("INSERT INTO departments (workspace_id, name, created_at) VALUES (?, 'Support', ?)", [.int(siteA.id.raw), .int(clock.now().epochMillis)]).lastInsertID
            try await tx.execute("INSERT INTO user_departments (user_id, department_id, workspace_id) VALUES (?, ?, ?)", [.int(agentA.id.raw), .int(dept), .int(siteA.id.raw)])
        }
        return AccessFixture(t: t, services: s, clock: clock, siteA: siteA, siteB: siteB, owner: owner, admin: admin, agentA: agentA, agentNone: agentNone)
    }

    func actor(_ u: User) async throws -> Actor {
        .user(u, agentWorkspaces: u.role == .agent ? try await services.users.agentWorkspaces(u.id) : [])
    }

    func invoke(_ action: String, as actor: Actor, site: Workspace?, _ params: [String: JSONValue] = [:]) async throws -> JSONValue {
        let db = services.db, ws = services.workspaces
        return try await services.actions.invoke(action, actor: actor, siteKey: site?.siteKey, params: params, ip: "127.0.0.1") { sk in
            try await db.read { try await ws.find(siteKey: sk, in: $0) }
        }
    }

    func app() throws -> Application<RouterResponder<AppContext>> {
        Application(router: try buildRouter(services: services, schema: SchemaState()))
    }
}

/// A browser-like client for router tests: keeps cookies, reads CSRF tokens out of pages.
final class BrowserSession {
    var cookies: [String: String] = [:]

    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    func absorb(_ r: TestResponse) {
        for c in r.headers[values: .setCookie] {
            let first = c.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            guard first.count == 2 else { continue }
            if c.contains("Max-Age=0") { cookies[String(first[0])] = nil } else { cookies[String(first[0])] = String(first[1]) }
        }
    }

    static func csrf(in html: String) -> String? {
        guard let r = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
        let r = try await client.execute(uri: uri, method: .get, headers: cookies.isEmpty ? [:] : [.cookie: cookieHeader], body: nil)
        absorb(r)
        return r
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var h: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if !cookies.isEmpty { h[.cookie] = cookieHeader }
        let r = try await client.execute(uri: uri, method: .post, headers: h, body: Self.form(fields))
        absorb(r)
        return r
    }

    /// Posts a multipart form (text fields and files) like a browser's upload form.
    func postMultipart(_ client: some TestClientProtocol, _ uri: String, _ fields: [(String, String)],
                       files: [(field: String, name: String, type: String, bytes: [UInt8])]) async throws -> TestResponse {
        let boundary = "----OpsIQTestBoundary\(UInt32.random(in: 0...UInt32.max))"
        var body: [UInt8] = []
        for (k, v) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
        }
        for f in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.field)\"; filename=\"\(f.name)\"\r\nContent-Type: \(f.type)\r\n\r\n".utf8)
            body += f.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        var h: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
        if !cookies.isEmpty { h[.cookie] = cookieHeader }
        let r = try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(bytes: body))
        absorb(r)
        return r
    }

    /// Signs in through the real form; returns the final response of the POST.
    func signIn(_ client: some TestClientProtocol, email: String, password: String) async throws -> TestResponse {
        let page = try await get(client, "/login")
        let token = Self.csrf(in: String(buffer: page.body)) ?? ""
        return try await post(client, "/login", [("_csrf", token), ("email", email), ("password", password), ("next", "/admin")])
    }
}
