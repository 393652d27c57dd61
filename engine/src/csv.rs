//! CSV as the exports write it (the activity log, the certificate inventory): RFC 4180's
//! quoting with every field quoted and quotes doubled, so commas, quotes and line breaks stay in
//! their field. Rows end in a line feed, not the RFC's CRLF: every CSV reader takes LF.

/// One row of `fields`, ending in a line feed.
pub(crate) fn row(fields: impl IntoIterator<Item = String>) -> String {
    let fields: Vec<String> = fields
        .into_iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    fields.join(",") + "\n"
}

/// A header row of `columns`, then a row per item of `rows`.
pub(crate) fn table<T>(columns: &[&str], rows: &[T], fields: impl Fn(&T) -> Vec<String>) -> String {
    let mut csv = row(columns.iter().map(|c| (*c).to_owned()));
    for item in rows {
        csv.push_str(&row(fields(item)));
    }
    csv
}
