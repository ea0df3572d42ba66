import Foundation
import Ports

/// Files on tickets: checked by `AttachmentRules`, kept in `FileStorage` under a random key, described
/// by a row. Whoever cannot see the ticket cannot list or fetch its files ("not found", like the
/// ticket), and attachments of internal notes never reach a caller that asked without internal notes.
public struct TicketAttachments: Sendable {
    public let db: any SQLDatabase
    public let store: any TicketAttachmentStore
    public let files: any FileStorage
    public let tickets: TicketService
    public let digests: any Digests
    public let random: any RandomSource
    public let outbox: Outbox
    public let clock: any TimeSource

    public init(db: any SQLDatabase, store: any TicketAttachmentStore, files: any FileStorage, tickets: TicketService, digests: any Digests,
                random: any RandomSource, outbox: Outbox, clock: any TimeSource) {
        self.db = db; self.store = store; self.files = files; self.tickets = tickets; self.digests = digests; self.random = random
        self.outbox = outbox; self.clock = clock
    }

    /// The size limit of a site in MB (setting `tickets.attachment_max_mb`).
    public func maxMB(_ ws: WorkspaceID) async throws -> Int {
        let v = try await tickets.settings.value(AttachmentRules.settingName, workspace: ws)?.intValue.map(Int.init) ?? AttachmentRules.defaultMaxMB
        return min(max(v, AttachmentRules.maxMBRange.lowerBound), AttachmentRules.maxMBRange.upperBound)
    }

    /// Attaches a file to ticket `number` (to one of its messages when `messageID` is set). The bytes
    /// are stored first; if the row cannot be written they are removed again.
    public func attach(_ ws: WorkspaceID, number: Int64, messageID: Int64?, fileName: String, bytes: [UInt8], scope: TicketScope) async throws -> TicketAttachment {
        let name = AttachmentRules.displayName(fileName)
        let contentType = try AttachmentRules.check(fileName: name, bytes: bytes, maxMB: try await maxMB(ws))
        // Checks the ticket and message before writing anything.
        let t = try await tickets.load(ws, number, scope, forUpdate: nil)
        if let messageID, try await db.read({ try await store.message(ws, ticketID: t.id, messageID: messageID, in: $0) }) == nil {
            throw DomainError.validation(field: "message_id", message: "\(t.displayID) has no message \(messageID)")
        }
        // 24 random bytes: unguessable, and nothing of the user's file name reaches the disk.
        let key = random.bytes(24).hexString
        let sha = digests.sha256Hex(bytes: bytes)
        try await files.put(key, bytes)
        do {
            return try await db.retryingTransaction { tx in
                // Like a reply, a file for a merged ticket goes to the ticket it was merged into (which the caller must see too).
                var current = try await tickets.load(ws, number, scope, forUpdate: tx)
                if let survivor = current.mergedInto {
                    guard let s = try await tickets.store.find(ws, id: survivor, in: tx) else {
                        throw DomainError.notFound("\(current.displayID) was merged into a ticket that no longer exists")
                    }
                    current = try await tickets.load(ws, s.number, scope, forUpdate: tx)
                }
                let a = try await store.insert(ws, NewTicketAttachment(ticketID: current.id, messageID: messageID, fileName: name,
                                                                       contentType: contentType, size: Int64(bytes.count), storageKey: key, sha256: sha,
                                                                       now: clock.now()), in: tx)
                try await outbox.publish("ticket.attachment_added", workspace: ws, payload: [
                    "ticket_id": .string(current.displayID), "number": .int(current.number), "attachment_id": .int(a.id),
                    "message_id": messageID.map { .int($0) } ?? .null, "file_name": .string(name), "size": .int(a.size), "internal": .bool(a.internalNote),
                ], in: tx)
                return a
            }
        } catch {
            try? await files.delete(key)
            throw error
        }
    }

    /// The attachments of ticket `number`, oldest first; internal notes' only with `includeInternal`.
    public func list(_ ws: WorkspaceID, number: Int64, includeInternal: Bool, scope: TicketScope) async throws -> [TicketAttachment] {
        let t = try await tickets.load(ws, number, scope, forUpdate: nil)
        return try await db.read { try await store.list(ws, ticketID: t.id, includeInternal: includeInternal, in: $0) }
    }

    /// One attachment with its bytes, checked against the stored SHA-256. "Not found" when the caller
    /// cannot see the ticket, the attachment belongs to another ticket, or it is an internal note's and
    /// `includeInternal` is false.
    public func fetch(_ ws: WorkspaceID, number: Int64, attachmentID: Int64, includeInternal: Bool, scope: TicketScope) async throws -> (attachment: TicketAttachment, bytes: [UInt8]) {
        let t = try await tickets.load(ws, number, scope, forUpdate: nil)
        guard let a = try await db.read({ try await store.find(ws, id: attachmentID, in: $0) }), a.ticketID == t.id,
              includeInternal || !a.internalNote else {
            throw DomainError.notFound("no attachment \(attachmentID) on \(t.displayID)")
        }
        let bytes: [UInt8]
        do { bytes = try await files.get(a.storageKey) } catch FileStorageError.notFound {
            throw DomainError.notFound("the file of attachment \(attachmentID) on \(t.displayID) is missing from storage")
        }
        guard digests.sha256Hex(bytes: bytes) == a.sha256 else {
            throw DomainError.conflict("the stored file of attachment \(attachmentID) on \(t.displayID) does not match its checksum; it may be damaged")
        }
        return (a, bytes)
    }

    /// The `tickets.attachments.list` action (metadata only; the bytes are served by the admin route).
    public static func register(into r: inout ActionRegistry, attachments s: TicketAttachments) {
        r.register(ActionDefinition(name: "tickets.attachments.list", summary: "A ticket's attachments (names, types, sizes, checksums; internal notes' unless include_internal is false).",
                                    scope: "tickets.read", roles: TicketActions.staff, risk: .read, workspaceScoped: true,
                                    params: [TicketActions.ticketParam, ActionParam("include_internal", .boolean, "Include attachments of staff-only notes (default true).")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            let list = try await s.list(inv.workspace!.id, number: n, includeInternal: inv.bool("include_internal") ?? true,
                                        scope: try await TicketActions.scope(inv, departments: s.tickets.departments))
            return .object(["ticket_id": .string("T-\(n)"), "attachments": .array(list.map(\.json))])
        })
        r.register(ActionDefinition(name: "tickets.attachments.add", summary: "Attach a file (base64) to a ticket, or to one of its messages. Size and type follow the site's attachment rules; through the API the request body limit (1 MiB) allows files up to about 750 KB.",
                                    scope: "tickets.write", roles: TicketActions.staff, risk: .write, workspaceScoped: true,
                                    params: [TicketActions.ticketParam,
                                             ActionParam("file_name", .string(maxLength: 255), required: true, "The file's name, e.g. invoice.pdf (shown to readers; never used on disk)."),
                                             ActionParam("content_base64", .string(maxLength: 70_000_000), required: true, "The file's bytes, base64-encoded."),
                                             ActionParam("message_id", .integer(min: 1, max: Int64.max), "Attach to this message of the ticket (its internal flag then applies to the file).")]) { inv in
            let n = try TicketService.parseNumber(inv.params["ticket_id"], field: "ticket_id")
            guard let encoded = inv.string("content_base64"), let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw DomainError.validation(field: "content_base64", message: "must be the file's bytes in base64 (and not empty)")
            }
            let a = try await s.attach(inv.workspace!.id, number: n, messageID: inv.int("message_id"), fileName: inv.string("file_name") ?? "", bytes: [UInt8](data),
                                       scope: try await TicketActions.scope(inv, departments: s.tickets.departments))
            return .object(["ticket_id": .string("T-\(n)"), "attachment": a.json])
        })
    }
}

extension TicketAttachment {
    /// The API view; the storage key stays internal.
    public var json: JSONValue {
        .object(["id": .int(id), "message_id": messageID.map { .int($0) } ?? .null, "file_name": .string(fileName), "content_type": .string(contentType),
                 "size": .int(size), "sha256": .string(sha256), "internal": .bool(internalNote), "created_at": .string(TicketService.iso(createdAt))])
    }
}
