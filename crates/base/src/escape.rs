//! Text from outside (a CA's problem, a DNS provider's or an SMTP server's answer, a caller's
//! request) made safe for a terminal or a log before it is printed. A CA that puts ESC, BEL or a
//! C1 control (CSI is U+009B) into its `detail` could otherwise move the cursor, retitle the
//! window, hide lines or forge a log line; a BIDI override could make a name read backwards.
//!
//! The faces apply this once, where they print (the CLI's output, the daemon's and the agent's
//! log lines), not at every place a message is built.

use std::borrow::Cow;

/// Whether `c` would act on a terminal (or mislead a reader) instead of showing: C0 controls
/// but for `\n` and `\t` (multi-line messages need them), DEL, the C1 controls U+0080–U+009F,
/// and the BIDI embeddings, overrides, isolates and marks.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` for a terminal or a log: every unsafe character written as a visible escape (`\x1b`,
/// `\u{9b}`, `\u{202e}`), the rest as it is. Borrowed when there is nothing to escape.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_unsafe(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// JSON text (as serde_json writes it) for a terminal or a log. serde_json already writes C0
/// controls as `\u001b`; this writes DEL, C1 and BIDI characters as JSON escapes too, which
/// read back as the same value. They can only stand inside strings, so the JSON stays valid.
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if is_unsafe(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        let hostile = "bad\u{1b}]0;owned\u{7}\u{1b}[2J\rline\u{7f} csi\u{9b}31m \u{202e}txt.exe";
        let shown = controls(hostile);
        assert_eq!(
            shown,
            "bad\\x1b]0;owned\\x07\\x1b[2J\\x0dline\\x7f csi\\u{9b}31m \\u{202e}txt.exe"
        );
        assert!(!shown.chars().any(is_unsafe));
        // Lines and tabs stay; ordinary text, accents included, is borrowed as it is.
        assert!(matches!(
            controls("two\nlines\tand é"),
            Cow::Borrowed("two\nlines\tand é")
        ));
    }

    #[test]
    fn json_keeps_its_value_and_loses_its_escapes() {
        let value = serde_json::json!({"detail": "a\u{1b}[31m b\u{9b} c\u{7f} d\u{202e} e\nf"});
        let text = serde_json::to_string(&value).expect("JSON");
        let safe = json(&text);
        assert!(!safe.chars().any(|c| is_unsafe(c) || c == '\n'), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}
