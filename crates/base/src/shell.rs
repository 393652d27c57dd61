//! Commands through a shell: the administrator's command lines run by the system shell (here, or
//! over SSH), paths and values handed to one arriving each as one word whatever they hold, and
//! what a failed command printed shown to the administrator, cut to the part that says why.

/// The words that run `line` through a POSIX shell with `args` as `$1 $2 …`, so that a command
/// line and a script see them alike, here and over SSH. Without `args`, the line runs as typed.
pub(crate) fn posix_words(line: &str, args: &[&str]) -> Vec<String> {
    if args.is_empty() {
        return vec!["/bin/sh".to_owned(), "-c".to_owned(), line.to_owned()];
    }
    let mut words = vec![
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        format!("{line} \"$@\""),
        "certdesk".to_owned(),
    ];
    words.extend(args.iter().map(|a| (*a).to_owned()));
    words
}

/// `line` for this machine's shell, as an administrator would type it, with `args` after it:
/// `/bin/sh` (see [`posix_words`]), or `cmd /C` on Windows.
pub fn command(line: &str, args: &[&str]) -> tokio::process::Command {
    #[cfg(windows)]
    {
        let mut c = tokio::process::Command::new("cmd");
        c.arg("/C").arg(line).args(args);
        c
    }
    #[cfg(not(windows))]
    {
        let words = posix_words(line, args);
        let mut c = tokio::process::Command::new(&words[0]);
        c.args(&words[1..]);
        c
    }
}

/// `text` as one word for a POSIX shell.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The last lines of a command's output: enough to see why it failed.
pub fn tail(output: &str) -> &str {
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
