import Foundation

/// The path a site's tracking script is served at (`tracking.script_path`). Besides /widget.php and
/// /widget.js, a site may pick its own path such as /js/site.js, which blocklists keyed on
/// "widget.php" do not know.
public enum ScriptPath {
    /// The path every snippet used before custom paths, and still served for every site.
    public static let defaultPath = "/widget.php"
    /// First path segments that belong to OpsIQ's own routes (compared case-insensitively).
    public static let reserved: Set<String> = ["admin", "api", "assets", "beacon.php", "widget.php", "widget.js", "healthz", "readyz",
                                               "metrics", "login", "logout", "setup", "invite", "account", "portal", "static"]
    public static let maxLength = 120

    /// Checks a custom path; "" means "no custom path". Returns the path to store.
    public static func validate(_ raw: String, field: String = "tracking.script_path") throws -> String {
        let p = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if p.isEmpty { return "" }
        func bad(_ m: String) -> DomainError { .validation(field: field, message: m) }
        guard p.hasPrefix("/") else { throw bad("must start with / (e.g. /js/site.js)") }
        guard p.count <= maxLength else { throw bad("must be at most \(maxLength) characters") }
        guard p.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "/" || $0 == "-") }) else {
            throw bad("may use only letters, digits, '.', '_', '-' and '/'")
        }
        guard p.hasSuffix(".js") else { throw bad("must end with .js") }
        let segments = p.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { throw bad("must not contain empty, '.' or '..' segments") }
        guard let last = segments.last, last.count > 3 else { throw bad("needs a file name before .js") }
        let first = segments[0].lowercased()
        guard !reserved.contains(first) else { throw bad("'/\(first)' is used by OpsIQ itself; choose another path such as /js/site.js") }
        return p
    }

    /// The `<script>` tag a site pastes into its pages.
    public static func snippet(baseURL: String, siteKey: String, customPath: String?) -> String {
        let path = (customPath?.isEmpty ?? true) ? defaultPath : customPath!
        return "<script src=\"\(baseURL)\(path)\" data-site-key=\"\(siteKey)\" async></script>"
    }
}
