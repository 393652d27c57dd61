//! What a deployment ships: the current certificate of a repository entry with its key and the
//! request's keystore password, rendered into each file a mapping asks for.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::parse_choice;
use crate::keystore::{keystore_for, CertBundle, ExportFormat};

/// The forms of a deployed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// The leaf certificate alone, PEM.
    Cert,
    /// The issuers alone, PEM (Apache's `SSLCertificateChainFile`).
    Chain,
    /// Leaf then issuers, PEM (nginx's `ssl_certificate`).
    Fullchain,
    /// The private key, PKCS#8 PEM.
    Key,
    /// A PKCS#12 keystore with the request's keystore password.
    Pkcs12,
    /// A Java KeyStore with the request's keystore password.
    Jks,
}

impl FileFormat {
    pub const ALL: [FileFormat; 6] = [
        Self::Cert,
        Self::Chain,
        Self::Fullchain,
        Self::Key,
        Self::Pkcs12,
        Self::Jks,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::Cert => "cert",
            Self::Chain => "chain",
            Self::Fullchain => "fullchain",
            Self::Key => "key",
            Self::Pkcs12 => "pkcs12",
            Self::Jks => "jks",
        }
    }

    /// Whether the file holds the private key (and so must not be readable by others).
    pub fn holds_key(self) -> bool {
        matches!(self, Self::Key | Self::Pkcs12 | Self::Jks)
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for FileFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        parse_choice("file format", s, &Self::ALL)
    }
}

/// One file a mapping installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Absolute path on the end server.
    pub path: String,
    pub format: FileFormat,
    /// The owner (`user` or `user:group`) to give the file; unset keeps the login user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Octal permissions, e.g. `0640`; unset means 0600 for files with the key, 0644 for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

impl FileSpec {
    /// The `files` field of a mapping: a JSON list of `{path, format, owner, mode}`, checked.
    pub fn parse_list(mapping: &str, text: &str) -> Result<Vec<FileSpec>> {
        let files: Vec<FileSpec> = serde_json::from_str(text).map_err(|e| {
            Error::input(format!(
                "mapping {mapping:?}: files must be a list of {{\"path\", \"format\": \
                 cert|chain|fullchain|key|pkcs12|jks, \"owner\", \"mode\"}} ({e})"
            ))
        })?;
        if files.is_empty() {
            return Err(Error::input(format!(
                "mapping {mapping:?}: files is empty: name at least one file to install"
            )));
        }
        for (i, file) in files.iter().enumerate() {
            if !file.path.starts_with('/') || file.path.ends_with('/') {
                return Err(Error::input(format!(
                    "mapping {mapping:?}: file path {:?} must be an absolute file path",
                    file.path
                )));
            }
            if files[..i].iter().any(|f| f.path == file.path) {
                return Err(Error::input(format!(
                    "mapping {mapping:?}: file path {:?} is listed twice",
                    file.path
                )));
            }
            file.mode_bits()?;
            if let Some(owner) = &file.owner {
                let valid = |s: &str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                };
                if !owner.split(':').all(valid) || owner.matches(':').count() > 1 {
                    return Err(Error::input(format!(
                        "mapping {mapping:?}: owner {owner:?} of {} is not `user` or `user:group`",
                        file.path
                    )));
                }
            }
        }
        Ok(files)
    }

    /// The permission bits to give the file.
    pub fn mode_bits(&self) -> Result<u32> {
        match &self.mode {
            None => Ok(if self.format.holds_key() {
                0o600
            } else {
                0o644
            }),
            Some(text) => match u32::from_str_radix(text.trim_start_matches("0o"), 8) {
                Ok(bits) if bits <= 0o777 => Ok(bits),
                _ => Err(Error::input(format!(
                    "the mode {text:?} of {} is not octal permissions such as 0640",
                    self.path
                ))),
            },
        }
    }
}

/// A certificate ready to deploy: the current version of a repository entry.
pub struct Bundle {
    pub cert: CertBundle,
    /// The request's keystore password, for PKCS#12 and JKS files.
    pub password: Option<Zeroizing<String>>,
    /// The repository entry (the request's id).
    pub id: String,
    /// The leaf's serial, lower-case hex without separators.
    pub serial: String,
    /// The certificate's names, the first is the common name.
    pub names: Vec<String>,
}

impl Bundle {
    /// The file's bytes in `format`.
    pub fn render(&self, format: FileFormat) -> Result<Zeroizing<Vec<u8>>> {
        let bytes = match format {
            FileFormat::Cert => self.cert.certificate_pem.clone().into_bytes(),
            FileFormat::Chain => self.cert.chain_pem.clone().into_bytes(),
            FileFormat::Fullchain => {
                format!("{}{}", self.cert.certificate_pem, self.cert.chain_pem).into_bytes()
            }
            FileFormat::Key => keystore_for(ExportFormat::Key).write(&self.cert, None)?,
            FileFormat::Pkcs12 | FileFormat::Jks => {
                let export = if format == FileFormat::Pkcs12 {
                    ExportFormat::Pkcs12
                } else {
                    ExportFormat::Jks
                };
                let password = self.password.as_deref().ok_or_else(|| {
                    Error::input(format!(
                        "a {format} file needs the request's keystore password, and request {} \
                         has none: create the request with --keystore {format} and a password, \
                         or deploy PEM files",
                        self.id
                    ))
                })?;
                keystore_for(export).write(&self.cert, Some(password))?
            }
        };
        Ok(Zeroizing::new(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyAlgorithm;
    use crate::keystore::testing::{bundle, PASSWORD};

    fn deployable(password: Option<&str>) -> Bundle {
        Bundle {
            cert: bundle(KeyAlgorithm::EcP256),
            password: password.map(|p| Zeroizing::new(p.to_owned())),
            id: "abc123".into(),
            serial: "01".into(),
            names: vec!["www.example.com".into()],
        }
    }

    #[test]
    fn renders_each_format() {
        let b = deployable(Some(PASSWORD));
        let text = |f| String::from_utf8(b.render(f).unwrap().to_vec()).unwrap();
        assert_eq!(text(FileFormat::Cert), b.cert.certificate_pem);
        assert_eq!(text(FileFormat::Chain), b.cert.chain_pem);
        assert_eq!(
            text(FileFormat::Fullchain),
            format!("{}{}", b.cert.certificate_pem, b.cert.chain_pem)
        );
        assert!(text(FileFormat::Key).starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!b.render(FileFormat::Pkcs12).unwrap().is_empty());
        assert!(!b.render(FileFormat::Jks).unwrap().is_empty());

        let err = deployable(None).render(FileFormat::Jks).unwrap_err();
        assert!(err.to_string().contains("request abc123 has none"), "{err}");
    }

    #[test]
    fn file_lists_are_checked() {
        let ok = FileSpec::parse_list(
            "web",
            r#"[{"path": "/etc/ssl/site.pem", "format": "fullchain"},
                {"path": "/etc/ssl/site.key", "format": "key", "owner": "www-data:ssl-cert", "mode": "0640"}]"#,
        )
        .unwrap();
        assert_eq!(ok[0].mode_bits().unwrap(), 0o644);
        assert_eq!(ok[1].mode_bits().unwrap(), 0o640);
        let refused = [
            ("[]", "files is empty"),
            (
                r#"[{"path": "site.pem", "format": "cert"}]"#,
                "absolute file path",
            ),
            (
                r#"[{"path": "/a", "format": "pem"}]"#,
                "cert|chain|fullchain|key|pkcs12|jks",
            ),
            (
                r#"[{"path": "/a", "format": "cert", "mode": "rw"}]"#,
                "octal permissions",
            ),
            (
                r#"[{"path": "/a", "format": "cert", "owner": "a b"}]"#,
                "`user:group`",
            ),
            (
                r#"[{"path": "/a", "format": "cert"}, {"path": "/a", "format": "key"}]"#,
                "listed twice",
            ),
            (
                r#"[{"path": "/a", "format": "cert", "group": "x"}]"#,
                "unknown field",
            ),
        ];
        for (text, message) in refused {
            let err = FileSpec::parse_list("web", text).unwrap_err();
            assert!(err.to_string().contains(message), "{text}: {err}");
            assert!(matches!(err, Error::Input(_)));
        }
        // A key file is private unless the mapping says otherwise.
        let key = FileSpec::parse_list("web", r#"[{"path": "/k", "format": "pkcs12"}]"#).unwrap();
        assert_eq!(key[0].mode_bits().unwrap(), 0o600);
    }
}
