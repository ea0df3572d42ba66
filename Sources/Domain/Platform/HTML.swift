/// HTML text escaping shared by every place that writes HTML by hand (email templates, SVG charts).
public enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as entities: safe in element text and in quoted attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
