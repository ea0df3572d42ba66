import Foundation

public struct UserID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let raw: Int64
    public init(_ raw: Int64) { self.raw = raw }
    public var description: String { String(raw) }
}

/// The three roles of the product (spec 80-settings, Roles and permissions).
public enum Role: String, Sendable, Codable, CaseIterable {
    case owner
    case fullAdmin = "full_admin"
    case agent
}

public struct User: Sendable, Equatable {
    public var id: UserID
    public var email: String
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var active: Bool
    public var createdAt: Date
    public init(id: UserID, email: String, name: String, role: Role, passwordHash: String, active: Bool, createdAt: Date) {
        self.id = id; self.email = email; self.name = name; self.role = role; self.passwordHash = passwordHash; self.active = active; self.createdAt = createdAt
    }
}

public struct NewUser: Sendable {
    public var email: String
    public var name: String
    public var role: Role
    public var passwordHash: String
    public init(email: String, name: String, role: Role, passwordHash: String) {
        self.email = email; self.name = name; self.role = role; self.passwordHash = passwordHash
    }
}

/// Users belong to the installation (they may work in several workspaces), so lookups are by id or email.
public protocol UserStore: Sendable {
    func insert(_ user: NewUser, now: Date, in tx: any SQLConnection) async throws -> User
    func find(email: String, in conn: any SQLConnection) async throws -> User?
    func find(_ id: UserID, in conn: any SQLConnection) async throws -> User?
    func count(role: Role?, in conn: any SQLConnection) async throws -> Int
    func all(in conn: any SQLConnection) async throws -> [User]
    func setPassword(_ id: UserID, hash: String, now: Date, in tx: any SQLConnection) async throws
    func setRole(_ id: UserID, role: Role, now: Date, in tx: any SQLConnection) async throws
    func setActive(_ id: UserID, active: Bool, now: Date, in tx: any SQLConnection) async throws
    func recordLogin(_ id: UserID, now: Date) async throws
    /// The workspaces an Agent's departments belong to.
    func agentWorkspaces(_ id: UserID) async throws -> Set<WorkspaceID>
    /// The sealed TOTP secret, whether 2FA is on, and the hashes of unused recovery codes.
    func secondFactor(_ id: UserID) async throws -> SecondFactorState
    func setSecondFactor(_ id: UserID, _ state: SecondFactorState, now: Date) async throws
}

public struct SecondFactorState: Sendable, Equatable {
    public var sealedSecret: String?
    public var enabled: Bool
    public var recoveryCodeHashes: [String]
    /// The last accepted TOTP step, so the same code cannot be replayed.
    public var lastStep: Int64
    public init(sealedSecret: String?, enabled: Bool, recoveryCodeHashes: [String], lastStep: Int64) {
        self.sealedSecret = sealedSecret; self.enabled = enabled; self.recoveryCodeHashes = recoveryCodeHashes; self.lastStep = lastStep
    }
}

/// Hashes and verifies passwords. The live adapter is argon2id through libargon2; the encoded
/// hash carries its parameters so they can be raised later.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) throws -> String
    func verify(_ password: String, against encoded: String) -> Bool
}
