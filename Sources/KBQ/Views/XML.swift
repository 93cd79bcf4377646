/// Text inside XML and HTML: the five special characters escaped, and control characters
/// (which XML 1.0 forbids) dropped.
enum XML {
    static func escaped(_ s: String) -> String {
        Display.escaped(s) { c in
            switch c {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&#39;"
            case "\n", "\t": return nil
            default:
                let forbidden = c.value < 0x20 || (0x7F...0x9F).contains(c.value) || c.value == 0xFFFE || c.value == 0xFFFF
                return forbidden ? "" : nil
            }
        }
    }
}
