//! Commands through a shell: paths and values handed to one (over SSH, or `/bin/sh` here) must
//! each arrive as one word whatever they hold, and what a failed command printed is shown to the
//! administrator, cut to the part that says why.

/// `text` as one word for a POSIX shell.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The last lines of a command's output: enough to see why it failed.
pub(crate) fn tail(output: &str) -> &str {
    const MAX: usize = 2000;
    if output.len() <= MAX {
        return output;
    }
    let mut start = output.len() - MAX;
    while !output.is_char_boundary(start) {
        start += 1;
    }
    &output[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_any_text_for_the_shell() {
        assert_eq!(quote("/etc/ssl/a b.pem"), "'/etc/ssl/a b.pem'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn a_long_output_keeps_its_end() {
        let long = format!("{}é the reason", "x".repeat(3000));
        assert!(tail(&long).ends_with("é the reason"));
        assert!(tail(&long).len() <= 2000);
        assert_eq!(tail("short"), "short");
    }
}
