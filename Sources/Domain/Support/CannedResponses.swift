import Foundation
import Ports

/// Reusable replies of a site. Bodies may only use registered template variables (checked when
/// saved, so a typo is caught by the person writing it, not by a customer reading `{{custmer_name}}`).
/// Agents see the responses of their departments and those for every department.
public struct CannedResponses: Sendable {
    public let db: any SQLDatabase
    public let store: any CannedResponseStore
    public let tickets: TicketService
    public let outbox: Outbox
    public let clock: any TimeSource

    public init(db: any SQLDatabase, store: any CannedResponseStore, tickets: TicketService, outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.store = store; self.tickets = tickets; self.outbox = outbox; self.clock = clock
    }

    public static let maxTitle = 190
    public static let maxBody = 20_000

    /// `/refund`, `refund` or `/Refund` → `/refund`; letters, digits, `_` and `-`, up to 48 after the slash.
    public static func normalizeShortcut(_ raw: String) throws -> String {
        var s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasPrefix("/") { s.removeFirst() }
        guard !s.isEmpty, s.count <= 48, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw DomainError.validation(field: "shortcut", message: "must be a slash and up to 48 letters, digits, _ or -, like /refund")
        }
        return "/" + s
    }

    /// Checks and normalises what a person typed.
    func checked(_ ws: WorkspaceID, _ f: CannedResponseFields) async throws -> CannedResponseFields {
        let title = try TicketService.clean(f.title, field: "title", max: Self.maxTitle)
        let body = try TicketService.clean(f.body, field: "body", max: Self.maxBody)
        try TemplateVariables.validate(body, field: "body")
        let shortcut = try Self.normalizeShortcut(f.shortcut)
        if let d = f.departmentID, !(try await tickets.departments.list(ws, includeArchived: false)).contains(where: { $0.id == d }) {
            throw DomainError.validation(field: "department", message: "no department \(d) in this site")
        }
        return CannedResponseFields(title: title, body: body, departmentID: f.departmentID, shortcut: shortcut)
    }

    static func visible(_ r: CannedResponse, _ scope: TicketScope) -> Bool {
        guard let mine = scope.visibleDepartments, let d = r.departmentID else { return true }
        return mine.contains(d)
    }

    /// By title. With `department`, only that department's responses and those for every department.
    public func list(_ ws: WorkspaceID, department: Int64?, scope: TicketScope) async throws -> [CannedResponse] {
        var filter: Set<Int64>? = department.map { [$0] }
        if let mine = scope.visibleDepartments { filter = filter.map { $0.intersection(mine) } ?? mine }
        return try await db.read { try await store.list(ws, departments: filter, in: $0) }
    }

    public func get(_ ws: WorkspaceID, id: Int64, scope: TicketScope) async throws -> CannedResponse {
        guard let r = try await db.read({ try await store.find(ws, id: id, in: $0) }), Self.visible(r, scope) else {
            throw DomainError.notFound("no canned response \(id) in this site")
        }
        return r
    }

    func saving<T: Sendable>(_ shortcut: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch SQLError.uniqueViolation {
            throw DomainError.validation(field: "shortcut", message: "this site already has a canned response with the shortcut \(shortcut)")
        }
    }

    public func create(_ ws: WorkspaceID, _ fields: CannedResponseFields, by: UserID?) async throws -> CannedResponse {
        let f = try await checked(ws, fields)
        return try await saving(f.shortcut) {
            try await db.retryingTransaction { tx in
                let r = try await store.insert(ws, f, createdBy: by, now: clock.now(), in: tx)
                try await outbox.publish("canned_response.created", workspace: ws, payload: ["id": .int(r.id), "shortcut": .string(r.shortcut)], in: tx)
                return r
            }
        }
    }

    public func update(_ ws: WorkspaceID, id: Int64, _ fields: CannedResponseFields) async throws -> CannedResponse {
        let f = try await checked(ws, fields)
        return try await saving(f.shortcut) {
            try await db.retryingTransaction { tx in
                guard try await store.update(ws, id: id, f, now: clock.now(), in: tx), let r = try await store.find(ws, id: id, in: tx) else {
                    throw DomainError.notFound("no canned response \(id) in this site")
                }
                try await outbox.publish("canned_response.updated", workspace: ws, payload: ["id": .int(r.id), "shortcut": .string(r.shortcut)], in: tx)
                return r
            }
        }
    }

    public func delete(_ ws: WorkspaceID, id: Int64) async throws {
        try await db.retryingTransaction { tx in
            guard try await store.delete(ws, id: id, in: tx) else { throw DomainError.notFound("no canned response \(id) in this site") }
            try await outbox.publish("canned_response.deleted", workspace: ws, payload: ["id": .int(id)], in: tx)
        }
    }

    /// The response's body with the ticket's values filled in, as plain text (escape it where it goes into HTML).
    /// The caller must be able to see both the response and the ticket.
    public func render(_ ws: WorkspaceID, id: Int64, ticketNumber: Int64, agentName: String, siteName: String, scope: TicketScope) async throws -> (response: CannedResponse, text: String) {
        let r = try await get(ws, id: id, scope: scope)
        let t = try await tickets.load(ws, ticketNumber, scope, forUpdate: nil)
        // Archived departments still sign the tickets they hold.
        var dept: Department? = nil
        if let d = t.departmentID { dept = try await tickets.departments.list(ws, includeArchived: true).first { $0.id == d } }
        let business = try await tickets.settings.value("business.name", workspace: ws)?.stringValue ?? ""
        let ctx = TemplateVariables.context(ticket: t, agentName: agentName, department: dept, siteName: siteName, businessName: business)
        return (r, TemplateVariables.render(r.body, ctx))
    }
}

extension CannedResponse {
    public var json: JSONValue {
        .object(["id": .int(id), "title": .string(title), "body": .string(body), "department_id": departmentID.map { .int($0) } ?? .null,
                 "shortcut": .string(shortcut), "created_by": createdBy.map { .int($0.raw) } ?? .null,
                 "created_at": .string(TicketService.iso(createdAt)), "updated_at": .string(TicketService.iso(updatedAt))])
    }
}
