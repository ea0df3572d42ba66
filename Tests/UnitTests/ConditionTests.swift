import Domain
import Foundation
import Testing

/// The automations' expression language: parsing (with error positions), precedence, comparisons
/// across types, missing paths, and the size limits that keep it safe.
@Suite struct ConditionTests {
    func holds(_ text: String, _ vars: JSONValue) throws -> Bool {
        try #require(try Condition.parse(text)).evaluate(vars)
    }

    @Test func cookbookConditionsEvaluateAsWritten() throws {
        #expect(try holds("payload.status = \"down\"", .object(["payload": .object(["status": .string("down")])])))
        #expect(try !holds("payload.status = \"down\"", .object(["payload": .object(["status": .string("up")])])))
        #expect(try holds("order.amount > 100", .object(["order": .object(["amount": .double(125.5)])])))
        #expect(try !holds("order.amount > 100", .object(["order": .object(["amount": .int(100)])])))
        let stale: JSONValue = .object(["ticket": .object(["status": .string("open"), "last_reply_age": .int(90_000)])])
        let fresh: JSONValue = .object(["ticket": .object(["status": .string("open"), "last_reply_age": .int(3_600)])])
        let pending: JSONValue = .object(["ticket": .object(["status": .string("pending"), "last_reply_age": .int(90_000)])])
        let c = "ticket.status = \"Open\" AND ticket.last_reply_age > 86400"
        #expect(try holds(c, stale))
        #expect(try !holds(c, fresh))
        #expect(try !holds(c, pending))
    }

    @Test func andBindsTighterThanOrAndParenthesesOverride() throws {
        let v: JSONValue = .object(["a": .bool(true), "b": .bool(false), "c": .bool(false)])
        // a OR (b AND c) = true; (a OR b) AND c = false.
        #expect(try holds("a OR b AND c", v))
        #expect(try !holds("(a OR b) AND c", v))
        #expect(try holds("NOT b AND NOT c", v))
        #expect(try !holds("NOT (a OR b)", v))
        #expect(try holds("not not a", v))
        #expect(try Condition.parse("a or b and c") == .or(.path(["a"]), .and(.path(["b"]), .path(["c"]))))
    }

    @Test func comparisonsAcrossTypes() throws {
        let v: JSONValue = .object(["p": .object(["n": .int(5), "s": .string("150"), "t": .string("Hello World"), "tags": .array([.string("vip"), .string("eu")]),
                                                  "flag": .bool(true), "nothing": .null, "d": .string("2026-12-03")])])
        #expect(try holds("p.n >= 5 AND p.n <= 5 AND p.n != 4 AND p.n < 5.5", v))
        #expect(try holds("p.s > 100", v))             // a numeric text compares as a number
        #expect(try holds("p.s = 150", v))
        #expect(try holds("p.t contains \"world\"", v)) // texts ignore case
        #expect(try holds("p.tags contains \"VIP\"", v))
        #expect(try !holds("p.tags contains \"us\"", v))
        #expect(try holds("p.flag = true AND p.flag != false", v))
        #expect(try holds("p.nothing = null AND p.missing = null", v))
        #expect(try !holds("p.flag = \"true\"", v))     // a boolean is not the text "true"
        #expect(try !holds("p.t > 3", v))               // a non-numeric text and a number: no order
        #expect(try holds("p.d >= \"2026-12-01\"", v))  // ISO dates order as texts
        #expect(try holds("p.n = -5 OR p.n > -10", v))
    }

    @Test func missingPathsAreNullAndNeverAnError() throws {
        let v: JSONValue = .object(["payload": .object([:])])
        #expect(try !holds("payload.a.b.c = \"x\"", v))
        #expect(try !holds("payload.count > 3", v))
        #expect(try !holds("payload.count < 3", v))
        #expect(try holds("payload.count != 3", v))
        #expect(try !holds("nothing", v))
        #expect(try holds("steps.1.result.total = 7", .object(["steps": .array([.object(["result": .object(["total": .int(7)])])])])))
        #expect(try !holds("steps.2.result.total = 7", .object(["steps": .array([])])))
    }

    @Test func blankConditionMeansAlways() throws {
        #expect(try Condition.parse("") == nil)
        #expect(try Condition.parse("   \n ") == nil)
    }

    @Test(arguments: [
        ("payload.status = ", "at position 18: the condition ends where a value was expected"),
        ("payload.status = \"down", "at position 18: this string is never closed (a \" is missing)"),
        ("(a = 1", "at position 7: a ')' is missing to close the '(' at position 1"),
        ("a = 1)", "at position 6: unexpected ')' after the end of the condition"),
        ("a = 1 b = 2", "at position 7: unexpected 'b' after the end of the condition"),
        ("a ! b", "at position 3: '!' must be followed by '=' (use NOT to negate)"),
        ("a = 1 AND", "at position 10: the condition ends where a value was expected"),
        ("AND a", "at position 1: 'AND' needs a value before it"),
        ("a > true", "at position 3: '>' compares numbers or strings, not true"),
        ("null <= 3", "at position 6: '<=' compares numbers or strings, not null"),
        ("a = $x", "at position 5: unexpected character '$'"),
        ("a..b = 1", "at position 1: 'a..b' is not a variable path (write names joined by dots, e.g. payload.status)"),
        ("= 3", "at position 1: unexpected '=': a value was expected before it"),
    ])
    func parseErrorsNameThePosition(_ text: String, _ message: String) {
        #expect(throws: Condition.ParseError.self) { try Condition.parse(text) }
        do { _ = try Condition.parse(text) } catch { #expect(error.description == message) }
    }

    @Test func limitsOnLengthDepthAndSize() throws {
        let long = String(repeating: "a = 1 OR ", count: 300) + "a = 1"
        do { _ = try Condition.parse(long); Issue.record("a 2,700-character condition was accepted") } catch {
            #expect(error.description == "at position 2001: the condition is longer than 2000 characters")
        }
        let deep = String(repeating: "(", count: 30) + "a" + String(repeating: ")", count: 30)
        do { _ = try Condition.parse(deep); Issue.record("30 nested parentheses were accepted") } catch {
            #expect(error.description.contains("nested too deeply"))
        }
        let nots = String(repeating: "NOT ", count: 30) + "a"
        do { _ = try Condition.parse(nots); Issue.record("30 NOTs were accepted") } catch {
            #expect(error.description.contains("nested too deeply"))
        }
        let wide = (0..<120).map { "a\($0) = \($0)" }.joined(separator: " OR ")
        #expect(wide.count < Condition.maxLength)
        do { _ = try Condition.parse(wide); Issue.record("a 360-node condition was accepted") } catch {
            #expect(error.description.contains("too complex"))
        }
        // Just inside the limits parses and evaluates.
        let ok = String(repeating: "(", count: 20) + "a = 1" + String(repeating: ")", count: 20)
        #expect(try holds(ok, .object(["a": .int(1)])))
    }

    @Test func templatesRenderPathsAndKeepTypes() {
        let vars: JSONValue = .object(["payload": .object(["hostname": .string("web-1"), "n": .int(3)]),
                                       "steps": .array([.object(["result": .object(["unique_visitors": .int(42), "rate": .double(12.5)])])])])
        let out = AutomationTemplate.render(.object(["subject": .string("Server {{payload.hostname}} down"), "count": .string("{{payload.n}}"),
                                                     "body": .string("Visitors: {{ steps.1.result.unique_visitors }}, bounce {{steps.1.result.rate}}%, {{payload.missing}}!"),
                                                     "list": .array([.string("{{payload.hostname}}")])]), vars)
        #expect(out["subject"] == .string("Server web-1 down"))
        #expect(out["count"] == .int(3))
        #expect(out["body"] == .string("Visitors: 42, bounce 12.5%, !"))
        #expect(out["list"] == .array([.string("web-1")]))
        #expect(AutomationTemplate.paths(in: .object(["a": .string("{{x.y}} and {{z}}")])) == ["x.y", "z"])
    }
}
