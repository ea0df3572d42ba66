import Foundation
import Testing
@testable import Domain

/// The hand-written JSON parser agrees with Foundation's on valid documents and refuses what RFC 8259 refuses.
@Suite struct JSONParserTests {
    static let valid = [
        #"{"site_key":"site_x","events":[{"id":"a1","type":"pageview","ts":1790000000000,"url":"https://a.example.com/p?q=1"}]}"#,
        #"[1, -2, 3.5, -0.25, 1e3, 2E-2, 0, -0, 9223372036854775807, 9223372036854775808, true, false, null]"#,
        #"{"esc":"quote \" backslash \\ slash \/ \b\f\n\r\t","u":"\u00e9\u4e2d\ud83d\ude00","raw":"Zürich 中文 😀"}"#,
        #"  {"nested": {"a": [[], {}, [{}]], "b": {"c": {"d": "e"}}}}  "#,
        #""just a string""#,
        #"{"dup":1,"dup":2}"#,
    ]

    @Test(arguments: valid)
    func agreesWithFoundation(_ text: String) throws {
        let mine = try JSONValue.parse(text)
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(mine == theirs)
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONValue.parse("42") == .int(42))
        #expect(try JSONValue.parse("-7") == .int(-7))
        #expect(try JSONValue.parse("4.5") == .double(4.5))
        #expect(try JSONValue.parse("1e2") == .int(100), "an integral exponent form reads as an integer, as with JSONDecoder")
        #expect(try JSONValue.parse("1.5e1") == .double(15))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808), "too big for Int64: a double")
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    static let invalid = [
        "", " ", "{", "}", "[1,]", "[1 2]", #"{"a" 1}"#, #"{"a":1,}"#, #"{a:1}"#, "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity",
        "tru", "nul", "[1]x", #""unterminated"#, "\"tab\there\"", #""\x""#, #""\u12""#, #""\ud83d""#, #""\ude00x""#, "'single'",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ]

    @Test(arguments: invalid)
    func refuses(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(text) }
    }

    @Test func errorsSayWhere() {
        do { _ = try JSONValue.parse(#"{"a": tru}"#); Issue.record("parsed") } catch {
            #expect("\(error)".contains("byte 6"), "\(error)")
        }
    }
}
