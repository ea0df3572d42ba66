import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// The "show formatted" view of an HTML email on a ticket (`/admin/tickets/:id/messages/:mid/formatted`).
/// The thread shows the text by default; this page shows the HTML kept at import, which `HTMLSanitizer`
/// already stripped of scripts, handlers, frames, forms and foreign URLs. As a second wall the page's
/// CSP has no script source at all, loads images only from OpsIQ itself (the stored inline attachments)
/// or data:, and cannot be framed. Access is the ticket page's: a ticket this person may not see, or a
/// message that is not on it, answers 404.
extension AdminRoutes {
    static let formattedCSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'"

    func formattedMessagePage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        let headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("Content-Security-Policy")!: Self.formattedCSP,
        ]
        func page(_ status: HTTPResponse.Status, _ inner: String) -> Response {
            Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Email</title></head><body>\(inner)</body></html>")))
        }
        let notFound = page(.notFound, "<p id=\"formatted-missing\">No such message, or it has no HTML version.</p>")
        guard let site = try await sites(ctx).current, let mid = ctx.parameters.get("mid").flatMap({ Int64($0) }) else { return notFound }
        let scope = try await TicketActions.scope(user: ctx.identity!.user, in: site.id, departments: services.departments)
        let detail: TicketDetail
        do {
            let number = try TicketService.parseNumber(ctx.parameters.get("id").map { .string($0) }, field: "ticket_id")
            detail = try await services.tickets.get(site.id, number: number, includeInternal: true, scope: scope)
        } catch is DomainError {
            return notFound
        }
        guard let message = detail.messages.first(where: { $0.id == mid }),
              let html = try await services.db.read({ try await services.mailboxes.importer.html.html(site.id, messageID: message.id, in: $0) }) else { return notFound }
        let banner = "<div id=\"formatted-banner\" style=\"font:13px Helvetica,Arial,sans-serif;color:#555;padding:8px 12px;border-bottom:1px solid #ddd;background:#fafafa\">"
            + "\(HTML.escape(detail.ticket.displayID)) · email from \(HTML.escape(message.authorEmail)), sanitised; remote images are not loaded.</div>"
        return page(.ok, banner + "<div id=\"formatted-body\">" + html + "</div>")
    }
}
