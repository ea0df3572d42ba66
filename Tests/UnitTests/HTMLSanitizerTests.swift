import Domain
import Foundation
import Testing

/// The allow-list HTML sanitiser of HTML mail and the template preview: formatting survives, anything
/// that can run, load or submit does not, however it is spelled.
@Suite struct HTMLSanitizerTests {
    let s = HTMLSanitizer()

    @Test func formattingSurvivesRewritten() {
        #expect(s.sanitize("<p style=\"color:#333\">Hello <b>Ada</b><br/>bye</p>") == "<p style=\"color:#333\">Hello <b>Ada</b><br>bye</p>")
        #expect(s.sanitize("<table border=1><tr><td colspan=\"2\">x</td></tr></table>") == "<table border=\"1\"><tr><td colspan=\"2\">x</td></tr></table>")
        #expect(s.sanitize("<a href=\"https://shop.example/o?id=1&amp;x=2\">order</a>")
                == "<a href=\"https://shop.example/o?id=1&amp;x=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">order</a>")
        // Unclosed elements are closed; stray closing tags dropped; text stays text.
        #expect(s.sanitize("<div><p>one</div></span>2 > 1 &amp; \"q\"") == "<div><p>one</p></div>2 &gt; 1 &amp; &quot;q&quot;")
        #expect(s.sanitize("a < b") == "a &lt; b")
    }

    @Test func scriptsStylesFramesAndFormsAreDroppedWithTheirContent() {
        let evil = [
            "<script>alert(1)</script>", "<SCRIPT src=//x.example/a.js></SCRIPT>", "<style>body{background:url(//x)}</style>",
            "<iframe src=\"https://x.example\"></iframe>", "<object data=x></object>", "<embed src=x>", "<form action=//x><input name=p></form>",
            "<svg><script>alert(1)</script></svg>", "<math><mi>x</mi></math>", "<noscript><img src=x></noscript>", "<template><b>x</b></template>",
            "<scr<script>ipt>x</script>", "<script>never closed",
        ]
        for e in evil {
            let out = s.sanitize("ok" + e + "!")
            #expect(!out.lowercased().contains("<script") && !out.contains("alert(1)") && !out.lowercased().contains("<iframe") && !out.contains("<form")
                    && !out.contains("<input") && !out.lowercased().contains("<svg") && !out.contains("<style") && !out.contains("<embed"), "\(e) -> \(out)")
            #expect(out.hasPrefix("ok"), "\(e) -> \(out)")
        }
        #expect(s.sanitize("<!-- <script>x</script> -->hi<!DOCTYPE html><?xml x?>") == "hi")
    }

    @Test func handlersAndDangerousURLsAreDropped() {
        #expect(s.sanitize("<p onclick=\"steal()\" ONMOUSEOVER=x title=\"t\">x</p>") == "<p title=\"t\">x</p>")
        #expect(s.sanitize("<img src=x onerror=alert(1)>") == "<img>")
        for href in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " java\tscript:alert(1)", "&#106;avascript:alert(1)", "vbscript:x", "data:text/html,<script>x</script>"] {
            let out = s.sanitize("<a href=\"\(href)\">x</a>")
            #expect(!out.contains("href"), "\(href) -> \(out)")
        }
        #expect(s.sanitize("<a href=mailto:ada@x.example>m</a>").contains("href=\"mailto:ada@x.example\""))
        // Images: data: images only of image types, cid: through the caller's map, remote ones only when allowed.
        #expect(s.sanitize("<img src=\"data:image/png;base64,iVBOR\">") == "<img src=\"data:image/png;base64,iVBOR\">")
        #expect(s.sanitize("<img src=\"data:text/html;base64,PHNjcmlwdD4=\">") == "<img>")
        #expect(s.sanitize("<img src=\"https://tracker.example/p.gif\">") == "<img>")
        #expect(HTMLSanitizer(remoteImages: true).sanitize("<img src=\"https://cdn.example/a.png\">") == "<img src=\"https://cdn.example/a.png\">")
        let mapped = HTMLSanitizer { cid in cid == "logo@x" ? "/admin/tickets/T-1/attachments/7?site=k" : nil }
        #expect(mapped.sanitize("<img src=\"cid:logo@x\"><img src=\"cid:other@x\">") == "<img src=\"/admin/tickets/T-1/attachments/7?site=k\"><img>")
        // Styles that load or run are dropped, plain ones kept; attribute values cannot break out.
        #expect(s.sanitize("<p style=\"background:url(https://x.example/a)\">x</p>") == "<p>x</p>")
        #expect(s.sanitize("<p style=\"width:expression(alert(1))\">x</p>") == "<p>x</p>")
        #expect(s.sanitize("<p title='a\"><script>x</script>'>y</p>") == "<p title=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">y</p>")
        #expect(s.sanitize("<p class=x id=y data-x=1 srcdoc=z>y</p>") == "<p>y</p>")
    }
}
