import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// Serves ticket attachments to signed-in staff: `GET /admin/tickets/:id/attachments/:aid?site=<site_key>`.
/// The same checks as `tickets.attachments.list`: a site the person may not use, a ticket outside an
/// Agent's departments, or an attachment of another ticket all answer 404. Always a download
/// (`Content-Disposition: attachment`) with `nosniff`, so a browser never renders a file as a page.
struct AttachmentRoutes: Sendable {
    let services: Services

    func register(on router: Router<AppContext>) {
        let admin = router.group("admin").add(middleware: RequireSignIn(services: services))
        admin.get("tickets/:id/attachments/:aid") { request, ctx -> Response in try await download(request, ctx) }
    }

    func download(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard let identity = ctx.identity, let actor = ctx.actor else { throw DomainError.unauthenticated("sign in first") }
        let number = try TicketService.parseNumber(ctx.parameters.get("id").map { JSONValue.string($0) }, field: "ticket_id")
        guard let aid = ctx.parameters.get("aid").flatMap({ Int64($0) }), aid > 0 else {
            throw DomainError.validation(field: "attachment_id", message: "must be a positive number")
        }
        let siteKey = request.uri.queryParameters.get("site") ?? ""
        let db = services.db, workspaces = services.workspaces
        guard !siteKey.isEmpty, let ws = try await db.read({ try await workspaces.find(siteKey: siteKey, in: $0) }), ActionRegistry.canAccess(actor, ws.id) else {
            throw DomainError.notFound("no site with this site key is available to you")
        }
        let scope = try await TicketActions.scope(user: identity.user, in: ws.id, departments: services.departments)
        let (a, bytes) = try await services.attachments.fetch(ws.id, number: number, attachmentID: aid, includeInternal: true, scope: scope)
        var headers = HTTPFields()
        headers[.contentType] = a.contentType
        headers[.contentDisposition] = Self.disposition(a.fileName)
        headers[.cacheControl] = "private, no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): older clients read
    /// the ASCII fallback, the rest the exact name.
    static func disposition(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
