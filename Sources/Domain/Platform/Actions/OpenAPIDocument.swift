import Foundation

/// The OpenAPI 3.1 document for `POST /api/v1.php`, generated from the registry: one request schema per
/// action (selected by its `action` field), the error envelope, and bearer-key security.
public enum OpenAPIDocument {
    public static func make(_ registry: ActionRegistry, serverURL: String, version: String = "1.0.0") -> JSONValue {
        var schemas: [String: JSONValue] = [:]
        var oneOf: [JSONValue] = []
        var mapping: [String: JSONValue] = [:]
        for d in registry.sorted {
            var props: [String: JSONValue] = ["action": .object(["type": .string("string"), "const": .string(d.name)])]
            var required: [JSONValue] = [.string("action")]
            if d.workspaceScoped {
                props["site_key"] = .object(["type": .string("string"), "description": .string("The site (workspace) to act in, e.g. site_abc123.")])
                required.append(.string("site_key"))
            }
            for p in d.params {
                var s = p.type.schema
                if case .object(var o) = s { o["description"] = .string(p.description); s = .object(o) }
                props[p.name] = s
                if p.required { required.append(.string(p.name)) }
            }
            let schemaName = "action." + d.name
            schemas[schemaName] = .object([
                "type": .string("object"),
                "title": .string(d.name),
                "description": .string("\(d.summary)\n\nScope: `\(d.scope)`. Roles: \(d.roles.map(\.displayName).sorted().joined(separator: ", ")). Risk: \(d.risk.rawValue)."
                                       + (d.apiKeyAllowed ? "" : " Not callable with an API key (admin only).")),
                "properties": .object(props),
                "required": .array(required),
                "additionalProperties": .bool(false),
                "x-opsiq-scope": .string(d.scope),
                "x-opsiq-risk": .string(d.risk.rawValue),
            ])
            let ref = JSONValue.object(["$ref": .string("#/components/schemas/\(schemaName)")])
            oneOf.append(ref)
            mapping[d.name] = .string("#/components/schemas/\(schemaName)")
        }
        schemas["Error"] = .object([
            "type": .string("object"),
            "required": .array([.string("ok"), .string("error")]),
            "properties": .object([
                "ok": .object(["type": .string("boolean"), "const": .bool(false)]),
                "error": .object([
                    "type": .string("object"),
                    "required": .array([.string("code"), .string("message")]),
                    "properties": .object([
                        "code": .object(["type": .string("string"), "examples": .array([.string("invalid_field"), .string("rate_limited")])]),
                        "message": .object(["type": .string("string")]),
                        "field": .object(["type": .string("string"), "description": .string("The parameter that is wrong, when one is.")]),
                    ]),
                ]),
            ]),
        ])
        schemas["Success"] = .object([
            "type": .string("object"),
            "required": .array([.string("ok"), .string("data")]),
            "properties": .object(["ok": .object(["type": .string("boolean"), "const": .bool(true)]), "data": .object([:])]),
        ])
        func errorResponse(_ text: String) -> JSONValue {
            .object(["description": .string(text), "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Error")])])])])
        }
        var tooMany = errorResponse("More than the key's requests a minute (60 by default).")
        if case .object(var o) = tooMany {
            o["headers"] = .object([
                "Retry-After": .object(["schema": .object(["type": .string("integer")]), "description": .string("Seconds until the window resets.")]),
                "X-RateLimit-Limit": .object(["schema": .object(["type": .string("integer")])]),
                "X-RateLimit-Remaining": .object(["schema": .object(["type": .string("integer")])]),
                "X-RateLimit-Reset": .object(["schema": .object(["type": .string("integer")]), "description": .string("Unix time the window resets.")]),
            ])
            tooMany = .object(o)
        }
        let post: JSONValue = .object([
            "operationId": .string("callAction"),
            "summary": .string("Call a registered action"),
            "description": .string("Every operation is an action named in the `action` field; its parameters sit at the top level of the body beside `action` and `site_key`. \(registry.definitions.count) actions are registered."),
            "security": .array([.object(["bearerKey": .array([])])]),
            "requestBody": .object([
                "required": .bool(true),
                "content": .object(["application/json": .object(["schema": .object([
                    "oneOf": .array(oneOf),
                    "discriminator": .object(["propertyName": .string("action"), "mapping": .object(mapping)]),
                ])])]),
            ]),
            "responses": .object([
                "200": .object(["description": .string("The action ran."), "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/Success")])])])]),
                "400": errorResponse("Malformed JSON, or a body that is not an object."),
                "401": errorResponse("Missing, unknown or revoked API key."),
                "403": errorResponse("The key lacks the action's scope."),
                "404": errorResponse("Unknown action, or a site_key not available to this key."),
                "409": errorResponse("The change conflicts with the current state."),
                "413": errorResponse("The body is larger than 1 MB."),
                "422": errorResponse("A parameter is missing or has the wrong type; `field` names it."),
                "429": tooMany,
                "503": errorResponse("The database is temporarily unavailable; retry."),
            ]),
        ])
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("OpsIQ action API"),
                "version": .string(version),
                "description": .string("One endpoint, many actions. Authenticate with `Authorization: Bearer opq_…` (Settings > API keys)."),
            ]),
            "servers": .array([.object(["url": .string(serverURL)])]),
            "paths": .object(["/api/v1.php": .object(["post": post])]),
            "components": .object([
                "schemas": .object(schemas),
                "securitySchemes": .object(["bearerKey": .object(["type": .string("http"), "scheme": .string("bearer"), "description": .string("An OpsIQ API key, opq_…")])]),
            ]),
        ])
    }
}
