import Foundation
import Ports

/// The one registry of actions. Validation, permission and workspace checks happen here, once, for
/// every front end; handlers receive only calls they are allowed to serve.
public struct ActionRegistry: Sendable {
    public private(set) var definitions: [String: ActionDefinition] = [:]
    public init() {}

    public mutating func register(_ d: ActionDefinition) {
        precondition(definitions[d.name] == nil, "action \(d.name) registered twice")
        definitions[d.name] = d
    }

    public var sorted: [ActionDefinition] { definitions.values.sorted { $0.name < $1.name } }

    /// Names the API reserves in a request body; they are not action parameters.
    public static let envelopeKeys: Set<String> = ["action", "site_key"]

    /// Validates `params` against the definition, naming the first wrong field.
    public static func validate(_ params: [String: JSONValue], for d: ActionDefinition) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        let known = Set(d.params.map(\.name))
        for key in params.keys.sorted() where !known.contains(key) && !envelopeKeys.contains(key) {
            throw DomainError.validation(field: key, message: "is not a parameter of \(d.name) (expected: \(d.params.map(\.name).joined(separator: ", ")))")
        }
        for p in d.params {
            guard let v = params[p.name], v != .null else {
                if p.required { throw DomainError.validation(field: p.name, message: "is required") }
                continue
            }
            out[p.name] = try check(v, p.type, field: p.name)
        }
        return out
    }

    static func check(_ v: JSONValue, _ t: ParamType, field: String) throws -> JSONValue {
        switch t {
        case .string(let maxLength, let enumValues, _):
            guard case .string(let s) = v else { throw DomainError.validation(field: field, message: "must be a string") }
            guard s.count <= maxLength else { throw DomainError.validation(field: field, message: "must be at most \(maxLength) characters") }
            if let enumValues, !enumValues.contains(s) {
                throw DomainError.validation(field: field, message: "must be one of \(enumValues.joined(separator: ", "))")
            }
            return v
        case .integer(let min, let max):
            guard let i = v.intValue else { throw DomainError.validation(field: field, message: "must be a whole number") }
            if let min, i < min { throw DomainError.validation(field: field, message: "must be at least \(min)") }
            if let max, i > max { throw DomainError.validation(field: field, message: "must be at most \(max)") }
            return .int(i)
        case .number:
            switch v {
            case .int, .double: return v
            default: throw DomainError.validation(field: field, message: "must be a number")
            }
        case .boolean:
            guard case .bool = v else { throw DomainError.validation(field: field, message: "must be true or false") }
            return v
        case .array(let item, let maxItems):
            guard case .array(let a) = v else { throw DomainError.validation(field: field, message: "must be an array") }
            guard a.count <= maxItems else { throw DomainError.validation(field: field, message: "must have at most \(maxItems) items") }
            return .array(try a.enumerated().map { try check($1, item, field: "\(field)[\($0)]") })
        case .object:
            guard case .object = v else { throw DomainError.validation(field: field, message: "must be an object") }
            return v
        case .any:
            return v
        }
    }

    /// Checks the actor may call `d` at all (before any workspace is looked at).
    public static func authorize(_ actor: Actor, for d: ActionDefinition) throws {
        switch actor {
        case .system: return
        case .user(let u, _):
            guard d.roles.contains(u.role) else {
                throw DomainError.forbidden("your role (\(u.role.displayName)) may not use \(d.name)")
            }
        case .apiKey(let k):
            guard d.apiKeyAllowed else { throw DomainError.forbidden("\(d.name) cannot be called with an API key") }
            guard k.scopes.contains(d.scope) else {
                throw DomainError.forbidden("this API key lacks the scope \(d.scope) that \(d.name) needs")
            }
        }
    }

    /// Whether the actor may act inside `workspace`. A refusal is reported as "not found", so nobody
    /// learns that another workspace's site key exists.
    public static func canAccess(_ actor: Actor, _ workspace: WorkspaceID) -> Bool {
        switch actor {
        case .system: return true
        case .user(let u, let ws): return u.role != .agent || ws.contains(workspace)
        case .apiKey(let k): return k.workspaceID == nil || k.workspaceID == workspace
        }
    }

    /// Runs an action: validate, authorize, resolve the workspace, call.
    public func invoke(_ name: String, actor: Actor, siteKey: String?, params: [String: JSONValue], ip: String,
                       findWorkspace: @Sendable (String) async throws -> Workspace?) async throws -> JSONValue {
        guard let d = definitions[name] else {
            throw DomainError.notFound("unknown action '\(name)'; the list is at /api/docs/")
        }
        try Self.authorize(actor, for: d)
        let valid = try Self.validate(params, for: d)
        var workspace: Workspace? = nil
        if d.workspaceScoped {
            guard let siteKey, !siteKey.isEmpty else { throw DomainError.validation(field: "site_key", message: "is required for \(d.name)") }
            guard let ws = try await findWorkspace(siteKey), Self.canAccess(actor, ws.id) else {
                throw DomainError.notFound("no site with this site_key is available to you")
            }
            workspace = ws
        }
        return try await d.handler(ActionInvocation(action: name, actor: actor, workspace: workspace, params: valid, ip: ip))
    }
}

extension Role {
    public var displayName: String {
        switch self {
        case .owner: return "Owner"
        case .fullAdmin: return "Full Admin"
        case .agent: return "Agent"
        }
    }
}
