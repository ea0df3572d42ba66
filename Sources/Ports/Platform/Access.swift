import Foundation

/// A server-side login session. The browser holds the token; only its SHA-256 is stored.
public struct SessionRecord: Sendable, Equatable {
    public var tokenHash: String
    public var userID: UserID
    public var csrfToken: String
    public var workspaceID: WorkspaceID?
    /// The password was right but the authenticator code is still due.
    public var secondFactorPending: Bool
    public var ip: String
    public var userAgent: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
    public init(tokenHash: String, userID: UserID, csrfToken: String, workspaceID: WorkspaceID?, secondFactorPending: Bool,
                ip: String, userAgent: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash; self.userID = userID; self.csrfToken = csrfToken; self.workspaceID = workspaceID
        self.secondFactorPending = secondFactorPending; self.ip = ip; self.userAgent = userAgent
        self.createdAt = createdAt; self.lastSeenAt = lastSeenAt; self.expiresAt = expiresAt
    }
}

public protocol SessionStore: Sendable {
    func insert(_ s: SessionRecord) async throws
    func find(tokenHash: String) async throws -> SessionRecord?
    /// Slides the expiry and records activity (the presence heartbeat).
    func touch(tokenHash: String, now: Date, expiresAt: Date) async throws
    func completeSecondFactor(tokenHash: String, now: Date) async throws
    func setWorkspace(tokenHash: String, workspace: WorkspaceID?) async throws
    func delete(tokenHash: String) async throws
    /// Logout everywhere. Returns how many sessions ended.
    func deleteAll(userID: UserID) async throws -> Int
    /// Users with a session active since `since` (who is online).
    func activeUserIDs(since: Date) async throws -> [UserID]
    func prune(now: Date) async throws -> Int
}

/// Why a login failed, as the failed-login log shows it.
public enum FailedLoginReason: String, Sendable, Codable, CaseIterable {
    case wrongPassword = "wrong_password"
    case locked
    case notFound = "not_found"
    case wrongCode = "wrong_code"
    case deactivated
}

public struct FailedLogin: Sendable, Equatable {
    public var at: Date
    public var ip: String
    public var country: String
    public var email: String
    public var reason: FailedLoginReason
    public var userAgent: String
    public init(at: Date, ip: String, country: String, email: String, reason: FailedLoginReason, userAgent: String) {
        self.at = at; self.ip = ip; self.country = country; self.email = email; self.reason = reason; self.userAgent = userAgent
    }
}

public protocol FailedLoginStore: Sendable {
    func record(_ f: FailedLogin) async throws
    func count(email: String, since: Date) async throws -> Int
    func count(ip: String, since: Date) async throws -> Int
    func recent(limit: Int, offset: Int) async throws -> [FailedLogin]
}

/// An API key as stored: only the SHA-256 of the secret, and its first characters for display.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: Int64
    public var prefix: String
    public var name: String
    public var scopes: [String]
    public var workspaceID: WorkspaceID?
    public var createdBy: UserID
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    public init(id: Int64, prefix: String, name: String, scopes: [String], workspaceID: WorkspaceID?, createdBy: UserID,
                createdAt: Date, lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id; self.prefix = prefix; self.name = name; self.scopes = scopes; self.workspaceID = workspaceID
        self.createdBy = createdBy; self.createdAt = createdAt; self.lastUsedAt = lastUsedAt; self.revokedAt = revokedAt
    }
}

public protocol APIKeyStore: Sendable {
    func insert(keyHash: String, prefix: String, name: String, scopes: [String], workspace: WorkspaceID?, createdBy: UserID, now: Date) async throws -> APIKeyRecord
    func find(keyHash: String) async throws -> APIKeyRecord?
    func all() async throws -> [APIKeyRecord]
    func markUsed(id: Int64, now: Date) async throws
    func revoke(id: Int64, now: Date) async throws -> Bool
}

/// Fixed-window counters shared by every web process through the database.
public protocol RateLimitStore: Sendable {
    /// Counts one hit in `bucket` for the window starting at `windowStart`; returns the hits so far.
    func hit(bucket: String, windowStart: Date) async throws -> Int
    func prune(before: Date) async throws -> Int
}

/// Who did something: a person, an API key or the system.
public struct AuditEntry: Sendable, Equatable {
    public var at: Date
    public var actorType: String
    public var actorID: Int64?
    public var actorLabel: String
    public var workspaceID: WorkspaceID?
    public var action: String
    public var target: String
    public var details: String
    public var ip: String
    public init(at: Date, actorType: String, actorID: Int64?, actorLabel: String, workspaceID: WorkspaceID?, action: String, target: String, details: String, ip: String) {
        self.at = at; self.actorType = actorType; self.actorID = actorID; self.actorLabel = actorLabel; self.workspaceID = workspaceID
        self.action = action; self.target = target; self.details = details; self.ip = ip
    }
}

public protocol AuditStore: Sendable {
    func record(_ e: AuditEntry, in tx: any SQLConnection) async throws
    func recent(workspace: WorkspaceID?, limit: Int) async throws -> [AuditEntry]
}

/// Hashes and MACs the domain needs (tokens, TOTP), behind a port so the domain imports no crypto library.
public protocol Digests: Sendable {
    func sha256Hex(_ text: String) -> String
    /// SHA-256 of raw bytes (attachments), lowercase hex.
    func sha256Hex(bytes: [UInt8]) -> String
    func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8]
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8]
}

/// One blocked address or network.
public struct BlockedNetwork: Sendable, Equatable {
    public var id: Int64
    public var cidr: String
    public var reason: String
    /// nil: the whole installation (admin and every site's tracking); else that site's tracking only.
    public var workspaceID: WorkspaceID?
    public var createdBy: UserID?
    public var createdAt: Date
    public var expiresAt: Date?
    public init(id: Int64, cidr: String, reason: String, workspaceID: WorkspaceID?, createdBy: UserID?, createdAt: Date, expiresAt: Date?) {
        self.id = id; self.cidr = cidr; self.reason = reason; self.workspaceID = workspaceID; self.createdBy = createdBy; self.createdAt = createdAt; self.expiresAt = expiresAt
    }
}

public protocol BlockedNetworkStore: Sendable {
    func all() async throws -> [BlockedNetwork]
    func insert(cidr: String, reason: String, workspace: WorkspaceID?, by: UserID?, now: Date, expiresAt: Date?, in tx: any SQLConnection) async throws -> Int64
    func delete(id: Int64, in tx: any SQLConnection) async throws -> Bool
}

/// A single-use, expiring token (password reset, invitation). Only its SHA-256 is stored.
public struct OneTimeToken: Sendable, Equatable {
    public var purpose: String
    public var userID: UserID?
    public var email: String
    public var payload: String
    public var createdBy: UserID?
    public var expiresAt: Date
    public init(purpose: String, userID: UserID?, email: String, payload: String, createdBy: UserID?, expiresAt: Date) {
        self.purpose = purpose; self.userID = userID; self.email = email; self.payload = payload; self.createdBy = createdBy; self.expiresAt = expiresAt
    }
}

public protocol OneTimeTokenStore: Sendable {
    func insert(tokenHash: String, _ t: OneTimeToken, now: Date, in tx: any SQLConnection) async throws
    /// Marks the token used and returns it, only if it exists, has this purpose, is unused and unexpired.
    func consume(tokenHash: String, purpose: String, now: Date, in tx: any SQLConnection) async throws -> OneTimeToken?
    /// Looks without using it (to show the form).
    func peek(tokenHash: String, purpose: String, now: Date) async throws -> OneTimeToken?
}

/// A department of a site: tickets are routed to it and Agents are assigned to it.
public struct Department: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var name: String
    public var archived: Bool
    /// Appended to replies as `{{department_signature}}` (plain text; empty when not set).
    public var signature: String
    /// This department's SLA targets and escalation; nil: the defaults (`SLATargets.standard`).
    public var sla: SLATargets?
    public init(id: Int64, workspaceID: WorkspaceID, name: String, archived: Bool, signature: String = "", sla: SLATargets? = nil) {
        self.id = id; self.workspaceID = workspaceID; self.name = name; self.archived = archived; self.signature = signature; self.sla = sla
    }
}

/// The SLA clocks a ticket has.
public enum SLAMetric: String, Sendable, Codable, CaseIterable {
    /// Created until the first public staff reply.
    case firstResponse = "first_response"
    /// A customer message after the first response until the next public staff reply.
    case nextResponse = "next_response"
    /// Created until Resolved or Closed.
    case resolution
}

/// SLA targets in business minutes by metric and priority, and what happens on a breach.
public struct SLATargets: Sendable, Equatable, Codable {
    /// metric raw value -> priority raw value -> business minutes.
    public var minutes: [String: [String: Int]]
    /// On a breach: raise the priority one step (up to Urgent) and publish `ticket.escalated`.
    public var escalate: Bool
    public init(minutes: [String: [String: Int]], escalate: Bool = false) { self.minutes = minutes; self.escalate = escalate }
}

public protocol DepartmentStore: Sendable {
    func list(_ workspace: WorkspaceID, includeArchived: Bool) async throws -> [Department]
    func all() async throws -> [Department]
    func insert(_ workspace: WorkspaceID, name: String, now: Date, in tx: any SQLConnection) async throws -> Department
    func setArchived(_ workspace: WorkspaceID, id: Int64, archived: Bool, now: Date, in tx: any SQLConnection) async throws -> Bool
    /// False when the department is not in the workspace.
    func setSignature(_ workspace: WorkspaceID, id: Int64, signature: String, in tx: any SQLConnection) async throws -> Bool
    /// False when the department is not in the workspace.
    func rename(_ workspace: WorkspaceID, id: Int64, name: String, in tx: any SQLConnection) async throws -> Bool
    /// nil restores the defaults. False when the department is not in the workspace.
    func setSLA(_ workspace: WorkspaceID, id: Int64, sla: SLATargets?, in tx: any SQLConnection) async throws -> Bool
    func assignments(user: UserID) async throws -> [Int64]
    /// Replaces the user's departments (ids that do not exist are ignored by the caller's validation).
    func setAssignments(user: UserID, departments: [Department], in tx: any SQLConnection) async throws
}
