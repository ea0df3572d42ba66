import Adapters
import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ports
import Testing
@testable import WebApp

/// Developer > Webhooks over HTTP on both engines: add with the event picker (secret shown once),
/// send a test event, the delivery log with escaped request and response, Redeliver, disable and
/// enable with "deliver everything missed since", CSRF and roles.
@Suite(.serialized) struct WebhookPageTests {
    func body(_ r: TestResponse) -> String { String(buffer: r.body) }

    @Test(arguments: Engine.all)
    func webhooksPageManagesEndpointsAndShowsTheLog(_ engine: Engine) async throws {
        try await TestDatabase.with(engine) { t in
            let w = try await WebhookFixture.make(t)
            let f = w.f
            let r = try await HTTPReceiver()
            defer { r.stop() }
            try await f.app().test(.router) { client in
                let o = BrowserSession()
                _ = try await o.signIn(client, email: f.owner.email, password: AccessFixture.password)
                var res = try await o.get(client, "/admin/webhooks")
                #expect(res.status == .ok)
                var html = body(res)
                #expect(html.contains("id=\"no-endpoints\"") && html.contains("value=\"ticket.*\""))
                let csrf = BrowserSession.csrf(in: html) ?? ""
                res = try await o.post(client, "/admin/webhooks/save", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("url", "\(r.base)/hook"),
                                                                       ("description", "<i>CRM</i>"), ("events", "ticket.*"), ("other_events", "order.completed, crm.*")])
                html = body(res)
                #expect(res.status == .ok && html.contains("id=\"new-secret\"") && html.contains("opsiq_whsec_"))
                let ep = try #require(try await w.s.webhooks.list(f.siteA.id).first)
                #expect(ep.events == ["ticket.*", "order.completed", "crm.*"] && ep.description == "<i>CRM</i>")
                html = body(try await o.get(client, "/admin/webhooks"))
                #expect(!html.contains("opsiq_whsec_"), "the secret is shown once only")
                #expect(html.contains("&lt;i&gt;CRM&lt;/i&gt;") && !html.contains("<i>CRM</i>"))
                // Bad input comes back naming the field.
                res = try await o.post(client, "/admin/webhooks/save", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("url", "ftp://x"), ("events", "*")])
                #expect(res.headers[.location]?.removingPercentEncoding?.contains("url:") == true)
                // Test event.
                res = try await o.post(client, "/admin/webhooks/test", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("id", String(ep.id))])
                html = body(res)
                #expect(html.contains("id=\"test-result\"") && html.contains("Delivered: HTTP 200"))
                #expect(r.requests.last?.json?["event"] as? String == "webhook.test")
                // A failed delivery in the log, response excerpt escaped, then Redeliver.
                try await r.setMode("500")
                try await w.publish("ticket.created", #"{"subject":"<script>x</script>"}"#)
                try await w.drain()
                let d = try #require(try await w.deliveries(ep.id).first)
                html = body(try await o.get(client, "/admin/webhooks/\(ep.id)?delivery=\(d.id)"))
                #expect(html.contains("id=\"delivery-\(d.id)\"") && html.contains("id=\"attempt-1\""))
                #expect(html.contains("&lt;b&gt;scripted failure&lt;/b&gt;") && !html.contains("<b>scripted failure</b>"))
                #expect(html.contains("X-OpsIQ-Signature: ") && !html.contains("<script>x</script>"))
                try await r.setMode("ok")
                res = try await o.post(client, "/admin/actions/webhooks.deliveries.redeliver", [("_csrf", csrf), ("site_key", f.siteA.siteKey),
                                                                                              ("delivery_id", String(d.id)), ("back", "/admin/webhooks/\(ep.id)")])
                #expect(res.headers[.location]?.contains("flash=") == true)
                try await w.drain()
                #expect(try await w.deliveries(ep.id).first?.status == .delivered)
                // Disable, an event waits, enable with "since" delivers it.
                res = try await o.post(client, "/admin/webhooks/enable", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("id", String(ep.id)), ("enabled", "false")])
                #expect(try await w.endpoint(ep.id).enabled == false)
                let waiting = try await w.publish("order.completed", #"{"id":7}"#)
                try await w.drain()
                #expect(r.requests.last?.eventID != waiting.eventID)
                html = body(try await o.get(client, "/admin/webhooks"))
                #expect(html.contains("id=\"enable-\(ep.id)\"") && html.contains("Deliver everything missed since"))
                res = try await o.post(client, "/admin/webhooks/enable", [("_csrf", csrf), ("site_key", f.siteA.siteKey), ("id", String(ep.id)), ("enabled", "true"), ("since", "")])
                #expect(res.headers[.location]?.removingPercentEncoding?.contains("1 undelivered") == true)
                try await w.drain()
                #expect(r.requests.last?.eventID == waiting.eventID)
                // A forged token changes nothing; an Agent cannot see the page.
                res = try await o.post(client, "/admin/webhooks/enable", [("_csrf", "forged"), ("site_key", f.siteA.siteKey), ("id", String(ep.id)), ("enabled", "false")])
                let stillEnabled = try await w.endpoint(ep.id).enabled
                #expect(res.status == .forbidden && stillEnabled)
                let agent = BrowserSession()
                _ = try await agent.signIn(client, email: f.agentA.email, password: AccessFixture.password)
                #expect(try await agent.get(client, "/admin/webhooks").status == .forbidden)
            }
        }
    }
}
