import Composition
import Domain
import Foundation
import Hummingbird
import Ports

/// Settings > Tickets: departments (create, rename, signature, SLA targets and escalation, archive) and
/// canned responses (create, edit, delete). Owners and Full Admins only; every change is one registered
/// action (`departments.*`, `canned.*`), so the same rules and audit entries apply as through the API.
extension AdminRoutes {
    func registerSupportSettings(on admin: RouterGroup<AppContext>) {
        admin.get("settings/departments") { request, ctx -> Response in try await departmentsPage(request, ctx) }
        // The SLA grid is many fields; they are gathered into the one `sla` object `departments.set_sla` takes.
        admin.post("settings/departments/sla") { request, ctx -> Response in
            let f = try await form(request, ctx)
            let back = "/admin/settings/departments"
            guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Departments") }
            var params: [String: JSONValue] = [:]
            if let id = Int64(f["department_id"]) { params["department_id"] = .int(id) }
            if f["reset"].isEmpty {
                var sla: [String: JSONValue] = ["escalate": .bool(f["escalate"] == "on")]
                for m in SLAMetric.allCases {
                    var row: [String: JSONValue] = [:]
                    for p in TicketPriority.allCases {
                        let raw = f["\(m.rawValue).\(p.rawValue)"].trimmingCharacters(in: .whitespaces)
                        if !raw.isEmpty { row[p.rawValue] = Int64(raw).map { .int($0) } ?? .string(raw) }
                    }
                    sla[m.rawValue] = .object(row)
                }
                params["sla"] = .object(sla)
            }
            do {
                _ = try await invokeAction("departments.set_sla", params: params, siteKey: f.values["site_key"], ctx: ctx)
                return Self.flashRedirect(back, flash: f["reset"].isEmpty ? "SLA targets saved." : "SLA targets back to the defaults.")
            } catch let e as DomainError {
                if case .forbidden = e { return try await forbidden(ctx, title: "Departments") }
                return Self.flashRedirect(back, error: e.description)
            }
        }
        admin.get("settings/canned") { request, ctx -> Response in try await cannedPage(request, ctx) }
    }

    /// Runs an action as the signed-in person with parameters already typed.
    func invokeAction(_ name: String, params: [String: JSONValue], siteKey: String?, ctx: AppContext) async throws -> JSONValue {
        let db = services.db, ws = services.workspaces
        return try await services.actions.invoke(name, actor: ctx.actor!, siteKey: siteKey, params: params, ip: ctx.clientIP) { sk in
            try await db.read { try await ws.find(siteKey: sk, in: $0) }
        }
    }

    static func minutesHint(_ m: Int) -> String {
        if m == 0 { return "no target" }
        if m % 60 == 0 { return "\(m / 60) business hour\(m == 60 ? "" : "s")" }
        return "\(m) business minutes"
    }

    func departmentsPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Departments") }
        var m = withFlash(try await base(ctx, title: "Departments", active: "settings/departments"), request)
        guard let site = try await sites(ctx).current else {
            m["noSite"] = true
            return renderer.html("departments", m)
        }
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        let list = try await services.departments.list(site.id, includeArchived: true)
        m["departments"] = list.map { d -> [String: Any] in
            let sla = d.sla ?? .standard
            let rows: [[String: Any]] = SLAMetric.allCases.map { metric in
                ["label": metric.label, "cells": TicketPriority.allCases.map { p -> [String: Any] in
                    let v = sla.target(metric, p) ?? 0
                    return ["name": "\(metric.rawValue).\(p.rawValue)", "value": v, "hint": Self.minutesHint(v), "fid": "sla-\(d.id)-\(metric.rawValue)-\(p.rawValue)"]
                }]
            }
            return ["did": d.id, "name": d.name, "archived": d.archived, "signature": d.signature, "slaRows": rows, "escalate": sla.escalate,
                    "custom": d.sla != nil, "siteKey": site.siteKey, "csrf": ctx.identity!.session.csrfToken]
        }
        m["hasDepartments"] = !list.isEmpty
        m["sigToken"] = "{{department_signature}}"
        m["priorities"] = TicketPriority.allCases.map { $0.rawValue.capitalized }
        return renderer.html("departments", m)
    }

    func cannedPage(_ request: Request, _ ctx: AppContext) async throws -> Response {
        guard ctx.identity!.user.role != .agent else { return try await forbidden(ctx, title: "Canned responses") }
        var m = withFlash(try await base(ctx, title: "Canned responses", active: "settings/canned"), request)
        guard let site = try await sites(ctx).current else {
            m["noSite"] = true
            return renderer.html("canned", m)
        }
        m["siteKey"] = site.siteKey
        m["siteName"] = site.name
        let departments = try await services.departments.list(site.id, includeArchived: false)
        let names = Dictionary(uniqueKeysWithValues: try await services.departments.list(site.id, includeArchived: true).map { ($0.id, $0.name) })
        func options(_ selected: Int64?) -> [[String: Any]] {
            [["value": "0", "label": "Every department", "selected": selected == nil]]
                + departments.map { ["value": String($0.id), "label": $0.name, "selected": $0.id == selected] }
        }
        let list = try await services.canned.list(site.id, department: nil, scope: .everything)
        m["responses"] = list.map { r -> [String: Any] in
            ["cid": r.id, "title": r.title, "shortcut": r.shortcut, "body": r.body, "department": r.departmentID.flatMap { names[$0] } ?? "Every department",
             "departmentOptions": options(r.departmentID), "siteKey": site.siteKey, "csrf": ctx.identity!.session.csrfToken]
        }
        m["hasResponses"] = !list.isEmpty
        m["newDepartmentOptions"] = options(nil)
        m["bodyPlaceholder"] = "Hi {{customer_name}}, …"
        m["variables"] = TemplateVariables.all.map { ["token": $0.token, "meaning": $0.description] }
        return renderer.html("canned", m)
    }
}
