import Foundation
import Ports

/// Who an `identify` event names. A signed token is checked against the site secret here, at the beacon, and
/// replaced by the customer it names: the token itself is never stored. Pushed fields (email, name,
/// customer_id or id, and any others) are kept as given, the email lower-cased.
public enum IdentityResolution {
    /// The identify event's props with a verified token turned into `email`/`customer_id`/`name` plus
    /// `"verified": true`, or a refused token into `"token_refused": reason`.
    public static func resolve(_ props: String, siteKey: String, secret: String, digests: any Digests, now: Date) -> String {
        guard case .object(var id)? = try? JSONValue.parse(props) else { return props }
        if let token = id.removeValue(forKey: "token")?.stringValue {
            do {
                let claims = try IdentityTokenVerifier(digests: digests).verify(token, siteKey: siteKey, secret: secret, now: now)
                id["verified"] = .bool(true)
                if let v = claims.email { id["email"] = .string(v) }
                if let v = claims.customerID { id["customer_id"] = .string(v) }
                if let v = claims.name { id["name"] = .string(v) }
            } catch {
                return JSONValue.object(["token_refused": .string("\(error)")]).encoded()
            }
        }
        if let e = id["email"]?.stringValue { id["email"] = .string(e.lowercased()) }
        return JSONValue.object(id).encoded()
    }

    /// After the events are stored: every identify event that names someone attaches that identity to its visitor.
    public static func attach(_ events: [TrackedEvent], visitors: any VisitorLookup) async throws {
        for row in events where row.type == "identify" {
            guard case .object(let id)? = try? JSONValue.parse(row.props), id["token_refused"] == nil else { continue }
            let email = id["email"]?.stringValue, name = id["name"]?.stringValue
            let customer = id["customer_id"]?.stringValue ?? id["id"]?.stringValue ?? id["id"]?.intValue.map(String.init)
            guard email != nil || customer != nil else { continue }
            try await visitors.attachIdentity(row.workspaceID, visitorKey: row.visitorKey, email: email.map { String($0.prefix(190)) },
                                              customerID: customer.map { String($0.prefix(190)) }, name: name.map { String($0.prefix(190)) })
        }
    }
}
