import Foundation
import Ports

/// How much an action changes: the API, triggers and the AI treat each level differently.
public enum ActionRisk: String, Sendable, Codable {
    case read, write, destructive
}

/// The type of one parameter; also what the OpenAPI document says about it.
public indirect enum ParamType: Sendable, Equatable {
    case string(maxLength: Int = 10_000, enumValues: [String]? = nil, format: String? = nil)
    case integer(min: Int64? = nil, max: Int64? = nil)
    case number
    case boolean
    case array(ParamType, maxItems: Int = 1000)
    case object
    /// Any JSON value (string, number, boolean, array or object).
    case any

    /// JSON Schema (draft 2020-12, as OpenAPI 3.1 uses).
    public var schema: JSONValue {
        switch self {
        case .string(let maxLength, let enumValues, let format):
            var o: [String: JSONValue] = ["type": .string("string"), "maxLength": .int(Int64(maxLength))]
            if let enumValues { o["enum"] = .array(enumValues.map { .string($0) }) }
            if let format { o["format"] = .string(format) }
            return .object(o)
        case .integer(let min, let max):
            var o: [String: JSONValue] = ["type": .string("integer")]
            if let min { o["minimum"] = .int(min) }
            if let max { o["maximum"] = .int(max) }
            return .object(o)
        case .number: return .object(["type": .string("number")])
        case .boolean: return .object(["type": .string("boolean")])
        case .array(let item, let maxItems): return .object(["type": .string("array"), "items": item.schema, "maxItems": .int(Int64(maxItems))])
        case .object: return .object(["type": .string("object")])
        case .any: return .object([:])
        }
    }
}

public struct ActionParam: Sendable, Equatable {
    public var name: String
    public var type: ParamType
    public var required: Bool
    public var description: String
    public init(_ name: String, _ type: ParamType, required: Bool = false, _ description: String) {
        self.name = name; self.type = type; self.required = required; self.description = description
    }
}

/// Who is calling.
public enum Actor: Sendable, Equatable {
    /// A signed-in person, with the workspaces their departments give them (Agents only).
    case user(User, agentWorkspaces: Set<WorkspaceID>)
    case apiKey(APIKeyRecord)
    /// The operator's CLI (`opsiq-admin action run`), acting as the Owner.
    case system(String)

    public var label: String {
        switch self {
        case .user(let u, _): return u.email
        case .apiKey(let k): return "API key \(k.prefix)… (\(k.name))"
        case .system(let s): return s
        }
    }
}

/// Everything a handler gets: the validated parameters, the workspace (for workspace-scoped actions,
/// already checked against the actor) and the actor.
public struct ActionInvocation: Sendable {
    public let action: String
    public let actor: Actor
    public let workspace: Workspace?
    public let params: [String: JSONValue]
    public let ip: String

    public func string(_ name: String) -> String? { params[name]?.stringValue }
    public func int(_ name: String) -> Int64? { params[name]?.intValue }
    public func bool(_ name: String) -> Bool? { if case .bool(let b)? = params[name] { return b }; return nil }
    public func strings(_ name: String) -> [String]? {
        if case .array(let a)? = params[name] { return a.compactMap(\.stringValue) }
        return nil
    }
}

public typealias ActionHandler = @Sendable (ActionInvocation) async throws -> JSONValue

/// One registered operation. Everything callable (REST API, CLI, triggers, the AI) is one of these.
public struct ActionDefinition: Sendable {
    public var name: String
    public var summary: String
    /// The API-key scope that grants it (`tickets.read`, `settings.write`, …).
    public var scope: String
    /// Roles of signed-in people that may call it.
    public var roles: Set<Role>
    public var risk: ActionRisk
    /// Takes `site_key` and acts inside that workspace.
    public var workspaceScoped: Bool
    /// False for actions only a person may perform (creating API keys with an API key is refused).
    public var apiKeyAllowed: Bool
    public var params: [ActionParam]
    public var handler: ActionHandler

    public init(name: String, summary: String, scope: String, roles: Set<Role>, risk: ActionRisk, workspaceScoped: Bool,
                apiKeyAllowed: Bool = true, params: [ActionParam] = [], handler: @escaping ActionHandler) {
        self.name = name; self.summary = summary; self.scope = scope; self.roles = roles; self.risk = risk
        self.workspaceScoped = workspaceScoped; self.apiKeyAllowed = apiKeyAllowed; self.params = params; self.handler = handler
    }
}
