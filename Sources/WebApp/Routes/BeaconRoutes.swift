import Composition
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Ports

/// `POST /beacon.php`: the widget's batched events. A 2xx means the events are committed to the database;
/// when they cannot be, the answer is 503 with Retry-After so the widget keeps them and retries.
struct BeaconRoutes: Sendable {
    let services: Services
    static let maxBody = 64 * 1024
    static let dnt = HTTPField.Name("DNT")!

    func register(on router: Router<AppContext>) {
        router.on("/beacon.php", method: .options) { request, _ in
            var r = Response(status: .noContent)
            Self.cors(&r, request)
            r.headers[.accessControlAllowMethods] = "POST, OPTIONS"
            r.headers[.accessControlAllowHeaders] = "Content-Type"
            r.headers[.accessControlMaxAge] = "86400"
            return r
        }
        router.post("/beacon.php") { request, ctx in await beacon(request, ctx) }
    }

    static func cors(_ r: inout Response, _ request: Request) {
        if let origin = request.headers[.origin], !origin.isEmpty {
            r.headers[.accessControlAllowOrigin] = origin
            r.headers[.vary] = "Origin"
        }
    }

    func reply(_ status: HTTPResponse.Status, _ body: JSONValue?, _ request: Request, headers: HTTPFields = [:]) -> Response {
        var r = Response(status: status, headers: headers)
        if let body {
            r.headers[.contentType] = "application/json"
            r.body = .init(byteBuffer: ByteBuffer(string: body.encoded()))
        }
        Self.cors(&r, request)
        return r
    }

    func fail(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, _ request: Request) -> Response {
        var e: [String: JSONValue] = ["message": .string(message)]
        if let field { e["field"] = .string(field) }
        return reply(status, .object(["ok": .bool(false), "error": .object(e)]), request)
    }

    /// True when the page that sent the beacon is on the site's domain (or a subdomain), or on OpsIQ itself.
    func originAllowed(_ origin: String?, site: Workspace) -> Bool {
        guard let origin, !origin.isEmpty, origin != "null" else { return true }
        guard let host = Self.originHost(origin) else { return false }
        var domain = site.domain.lowercased()
        if let colon = domain.firstIndex(of: ":") { domain = String(domain[..<colon]) }
        let bare = domain.hasPrefix("www.") ? String(domain.dropFirst(4)) : domain
        if host == bare || host.hasSuffix("." + bare) { return true }
        return URL(string: services.config.baseURL)?.host?.lowercased() == host
    }

    /// The lower-cased host of an Origin header, remembered: browsers send the same few origins over and over,
    /// and parsing a URL costs more than the lookup.
    static let originHosts = Mutex_<[String: String]>([:])
    static func originHost(_ origin: String) -> String? {
        if let hit = originHosts.withLock({ $0[origin] }) { return hit.isEmpty ? nil : hit }
        let host = URL(string: origin)?.host?.lowercased() ?? ""
        if origin.utf8.count <= 256 {
            originHosts.withLock { m in
                if m.count >= 10_000 { m.removeAll(keepingCapacity: true) }
                m[origin] = host
            }
        }
        return host.isEmpty ? nil : host
    }

    static let acceptedKey = Composition.MetricsRegistry.key("opsiq_beacon_events_total", ["result": "accepted"])
    static let rejectedKey = Composition.MetricsRegistry.key("opsiq_beacon_events_total", ["result": "rejected"])
    static let overloadedKey = Composition.MetricsRegistry.key("opsiq_beacon_events_total", ["result": "overloaded"])

    func beacon(_ request: Request, _ ctx: AppContext) async -> Response {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: Self.maxBody) } catch {
            return fail(.contentTooLarge, "the beacon is larger than 64 KB; send fewer events per request", request)
        }
        let envelope: (siteKey: String, root: [String: JSONValue], events: [JSONValue])
        do { envelope = try BeaconParser.envelope(String(buffer: buffer)) } catch let f as BeaconParser.Failure {
            switch f {
            case .badJSON(let m): return fail(.badRequest, m, request)
            case .field(let field, let m): return fail(.unprocessableContent, "\(field): \(m)", field: field, request)
            }
        } catch { return fail(.badRequest, "unreadable beacon", request) }
        do {
            guard let cached = try await services.trackingSites.site(envelope.siteKey) else {
                return fail(.forbidden, "unknown site_key", field: "site_key", request)
            }
            let site = cached.workspace
            guard originAllowed(request.headers[.origin], site: site) else {
                return fail(.forbidden, "this page's origin is not a domain of the site \(site.domain)", request)
            }
            // Blocked visitors and Do Not Track: accepted and dropped, so nothing is stored and nothing retried.
            if try await services.blocklist.match(ctx.clientIP, workspace: site.id) != nil { return reply(.noContent, nil, request) }
            if cached.flag("tracking.respect_dnt"), request.headers[Self.dnt] == "1" { return reply(.noContent, nil, request) }
            // Excluded addresses (the team's office, monitoring): accepted and dropped, before anything is looked up or stored.
            if cached.exclusions.excludes(ip: ctx.clientIP) { return reply(.noContent, nil, request) }
            let now = services.clock.now()
            let ua = String((request.headers[.userAgent] ?? "").prefix(512))
            // Country (and city with a City database) from GeoIP; a trusted CDN's CF-IPCountry wins.
            let place = CDNCountry.merge(cdnCountry: ctx.cdnCountry, geo: services.enrichment.geo.locate(ip: ctx.clientIP))
            // Without a first-party id: a hash of site, address and browser under a random salt that changes daily.
            // (Only worked out when the widget sent no usable first-party id.)
            var fallback = ""
            if case .string(let v)? = envelope.root["visitor_id"], BeaconParser.isToken(v) {} else {
                fallback = try await services.enrichment.visitorSalts.visitorHash(siteKey: site.siteKey, ip: ctx.clientIP, userAgent: ua, now: now)
            }
            var parsed = BeaconParser.rows(root: envelope.root, events: envelope.events, workspace: site,
                                           request: BeaconRequest(body: "", ip: ctx.clientIP, userAgent: ua, country: place.country, city: place.city, now: now),
                                           anonymizeIP: cached.flag("tracking.anonymize_ip"), visitorFallback: fallback)
            // Excluded pages (e.g. /admin/*) are accepted and dropped.
            parsed.rows.removeAll { cached.exclusions.excludes(path: $0.path) }
            if parsed.rows.isEmpty && parsed.rejected.isEmpty { return reply(.noContent, nil, request) }
            // Identity tokens are checked now, against the site secret, and replaced by the customer they name.
            for i in parsed.rows.indices where parsed.rows[i].type == "identify" {
                parsed.rows[i].props = IdentityResolution.resolve(parsed.rows[i].props, siteKey: site.siteKey, secret: site.siteSecret, digests: services.digests, now: now)
            }
            // Answered once the events are committed (or durably spooled, when the spool is on).
            let stored = try await services.ingest.submit(parsed.rows, rules: cached.rules)
            services.metrics.increment(key: Self.acceptedKey, by: Double(parsed.rows.count))
            if parsed.rejected.isEmpty { return reply(.noContent, nil, request) }
            services.metrics.increment(key: Self.rejectedKey, by: Double(parsed.rejected.count))
            let body = JSONValue.object(["ok": .bool(!parsed.rows.isEmpty), "accepted": .int(Int64(parsed.rows.count)), "stored": .int(Int64(stored)),
                                         "rejected": .array(parsed.rejected.map { .object(["index": .int(Int64($0.0)), "reason": .string($0.1)]) })])
            return reply(parsed.rows.isEmpty ? .unprocessableContent : .ok, body, request)
        } catch let e as IngestOverloaded {
            services.metrics.increment(key: Self.overloadedKey, by: Double(envelope.events.count))
            services.logger.debug("beacon refused", metadata: ["reason": "\(e)"])
            return reply(.serviceUnavailable, .object(["ok": .bool(false), "error": .object(["message": .string("busy; retry")])]), request, headers: [.retryAfter: "2"])
        } catch let e as SQLError where e.isUnavailable || { if case .retryable = e { return true }; return false }() {
            return reply(.serviceUnavailable, .object(["ok": .bool(false), "error": .object(["message": .string("temporarily unavailable; retry")])]), request, headers: [.retryAfter: "5"])
        } catch {
            services.logger.error("beacon failed", metadata: ["error": "\(error)"])
            return reply(.serviceUnavailable, .object(["ok": .bool(false), "error": .object(["message": .string("temporarily unavailable; retry")])]), request, headers: [.retryAfter: "5"])
        }
    }
}
