import Adapters
import Foundation
import Ports
import Testing

/// The live IMAP client against a real Dovecot with a big folder: listing 4,000 new UIDs needs a
/// `* SEARCH` answer of ~19 KB, more than libcurl's default 16 KB receive buffer (found by the
/// 10,000-email benchmark: the client saw 960 of 10,000 messages).
@Suite(.serialized) struct IMAPClientTests {
    @Test func aBigFolderIsListedCompletely() async throws {
        let imap = try await IMAPTestServer(users: ["support": "supportpw"])
        do {
            try imap.append("support", "supportpw", (1...4_000).map { "From: c\($0)@customer.example\nSubject: n\($0)\nMessage-ID: <big\($0)@customer.example>\n\nx\n" })
            let client = CurlIMAPClient()
            let all = try await client.newUIDs(imap.account("support", "supportpw"), after: 0)
            #expect(all.uids == Array(1...4_000))
            let tail = try await client.newUIDs(imap.account("support", "supportpw"), after: 3_990)
            #expect(tail.uids == Array(3_991...4_000) && tail.uidValidity == all.uidValidity)
            #expect(try await client.newUIDs(imap.account("support", "supportpw"), after: 4_000).uids.isEmpty)
            await client.shutdown()
        } catch { await imap.stop(); throw error }
        await imap.stop()
    }
}
