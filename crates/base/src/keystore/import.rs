//! Reading a certificate file an administrator brings, to track it: PEM, DER, PKCS#12 or Java
//! KeyStore, with or without its private key. Everything in the file is untrusted: it is read
//! bounded, without following a symlink, and a file that does not hold exactly one certificate
//! (with its chain) and at most its own key is refused whole, naming what is wrong.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{Error, Result};
use crate::keys::PrivateKey;

/// The largest certificate file read: a keystore with a long chain is a few KiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The forms a certificate file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ImportFormat {
    Pem,
    Der,
    Pkcs12,
    Jks,
}

impl ImportFormat {
    fn label(self) -> &'static str {
        match self {
            Self::Pem => "PEM file",
            Self::Der => "DER certificate",
            Self::Pkcs12 => "PKCS#12 file",
            Self::Jks => "Java KeyStore",
        }
    }

    fn encrypted(self) -> bool {
        matches!(self, Self::Pkcs12 | Self::Jks)
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pem => "pem",
            Self::Der => "der",
            Self::Pkcs12 => "pkcs12",
            Self::Jks => "jks",
        })
    }
}

/// What a keystore reader found: every certificate (DER) in file order and the keys.
pub(crate) struct Contents {
    pub certificates: Vec<Vec<u8>>,
    pub keys: Vec<PrivateKey>,
}

/// A certificate file read and checked: one leaf, its issuers in order, and its key if the file
/// held one (which then belongs to the leaf).
#[derive(Debug)]
pub struct Imported {
    pub format: ImportFormat,
    pub leaf: Vec<u8>,
    /// The leaf's issuer first.
    pub chain: Vec<Vec<u8>>,
    pub key: Option<PrivateKey>,
}

/// Reads the file at `path` (a PKCS#12 or JKS file with `password`).
pub fn read_file(path: &Path, password: Option<&str>) -> Result<Imported> {
    parse(&read_bounded(path)?, password)
}

/// The bytes of the regular file at `path`, at most [`MAX_FILE_BYTES`]. A symlink is refused
/// (on Unix the open itself does not follow one, so it cannot be swapped in between), as is
/// anything else that is not a regular file (a FIFO would block the read).
fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let failed = |e| Error::file(path, e);
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path)
        .map_err(failed)?
        .file_type()
        .is_symlink()
    {
        return Err(symlink(path));
    }
    let file = match options.open(path) {
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(symlink(path)),
        opened => opened.map_err(failed)?,
    };
    let metadata = file.metadata().map_err(failed)?;
    if !metadata.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file: import a certificate file",
            path.display()
        )));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(path));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(path));
    }
    Ok(bytes)
}

fn symlink(path: &Path) -> Error {
    Error::input(format!(
        "{} is a symbolic link: import the file it points to by its own path",
        path.display()
    ))
}

fn too_large(path: &Path) -> Error {
    Error::input(format!(
        "{} is larger than {} KiB: no certificate file is; check that it is the right file",
        path.display(),
        MAX_FILE_BYTES / 1024
    ))
}

/// Reads a certificate file's bytes: which form it is in comes from its content, not its name.
pub fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported> {
    let format = detect(bytes);
    let contents =
        match (format, password) {
            (Some(format), None) if format.encrypted() => {
                return Err(Error::input(format!(
                    "a {} is encrypted: give its password (--password-file)",
                    format.label()
                )))
            }
            (Some(format), Some(_)) if !format.encrypted() => {
                return Err(Error::input(format!(
                    "a {} is not encrypted: leave the password out",
                    format.label()
                )))
            }
            (Some(ImportFormat::Pem), None) => pem(bytes)?,
            (Some(ImportFormat::Der), None) => Contents {
                certificates: vec![bytes.to_vec()],
                keys: Vec::new(),
            },
            (Some(ImportFormat::Pkcs12), Some(password)) => super::pkcs12::read(bytes, password)?,
            (Some(ImportFormat::Jks), Some(password)) => super::jks::read(bytes, password)?,
            _ => return Err(Error::input(
                "the file is not a certificate: certdesk imports PEM, DER, PKCS#12 (.p12, .pfx) \
                 and Java KeyStore (.jks) files",
            )),
        };
    let format = format.unwrap_or(ImportFormat::Pem);
    assemble(format, contents)
}

/// The form of `bytes`: a JKS magic number, PEM armour, one whole DER certificate, or else a
/// DER structure, which only PKCS#12 is among the rest.
fn detect(bytes: &[u8]) -> Option<ImportFormat> {
    if bytes.starts_with(&super::jks::MAGIC) {
        return Some(ImportFormat::Jks);
    }
    if bytes
        .windows(b"-----BEGIN ".len())
        .any(|w| w == b"-----BEGIN ")
    {
        return Some(ImportFormat::Pem);
    }
    match X509Certificate::from_der(bytes) {
        Ok(([], _)) => Some(ImportFormat::Der),
        _ if bytes.first() == Some(&0x30) => Some(ImportFormat::Pkcs12),
        _ => None,
    }
}

/// The certificates and the key of a PEM file; other blocks are refused by name.
fn pem(bytes: &[u8]) -> Result<Contents> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::input("the PEM file is not text: it holds bytes that are not UTF-8"))?;
    let blocks = ::pem::parse_many(text)
        .map_err(|e| Error::input(format!("the PEM file does not read: {e}")))?;
    let mut certificates = Vec::new();
    let mut has_key = false;
    for block in blocks {
        match block.tag() {
            "CERTIFICATE" => certificates.push(block.into_contents()),
            tag if tag.ends_with("PRIVATE KEY") => has_key = true,
            // OpenSSL writes these beside an EC key.
            "EC PARAMETERS" => {}
            tag => {
                return Err(Error::input(format!(
                    "the PEM file holds a {tag} block: import a file of certificates and at most \
                     their private key"
                )))
            }
        }
    }
    let keys = match has_key {
        true => vec![PrivateKey::from_pem(text)?],
        false => Vec::new(),
    };
    Ok(Contents { certificates, keys })
}

/// One certificate in the file, parsed.
struct Parsed<'a> {
    der: &'a [u8],
    cert: X509Certificate<'a>,
}

/// Finds the leaf (the one certificate that issued none of the others) and orders its issuers,
/// and checks the key, if any, belongs to it.
fn assemble(format: ImportFormat, contents: Contents) -> Result<Imported> {
    let Contents {
        mut certificates,
        mut keys,
    } = contents;
    // A keystore may carry a certificate twice (as the key's and as a trusted one).
    let mut seen = std::collections::HashSet::new();
    certificates.retain(|der| seen.insert(der.clone()));
    let parsed = certificates
        .iter()
        .enumerate()
        .map(|(i, der)| match X509Certificate::from_der(der) {
            Ok((_, cert)) => Ok(Parsed { der, cert }),
            Err(e) => Err(Error::input(format!(
                "certificate {} of the file is not valid X.509: {e}",
                i + 1
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let issues_another = |p: &Parsed| {
        parsed.iter().any(|other| {
            !std::ptr::eq(other, p) && other.cert.issuer().as_raw() == p.cert.subject().as_raw()
        })
    };
    let leaves: Vec<&Parsed> = parsed.iter().filter(|p| !issues_another(p)).collect();
    let leaf = match leaves.as_slice() {
        [leaf] => *leaf,
        [] if parsed.is_empty() => {
            return Err(Error::input(format!(
                "the {} holds no certificate",
                format.label()
            )))
        }
        [] => {
            return Err(Error::input(format!(
                "the {}'s {} certificates issue each other in a circle: there is no leaf to \
                 import",
                format.label(),
                parsed.len()
            )))
        }
        more => {
            return Err(Error::input(format!(
                "the {} holds {} certificates that are not the issuer of another ({}): import \
                 one certificate (with its chain) at a time",
                format.label(),
                more.len(),
                more.iter()
                    .map(|p| p.cert.subject().to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )))
        }
    };
    let mut chain: Vec<&Parsed> = Vec::new();
    let mut current = leaf;
    while let Some(issuer) = parsed.iter().find(|p| {
        !std::ptr::eq(*p, current)
            && p.cert.subject().as_raw() == current.cert.issuer().as_raw()
            && !chain.iter().any(|c| std::ptr::eq(*c, *p))
    }) {
        chain.push(issuer);
        current = issuer;
    }
    if chain.len() + 1 != parsed.len() {
        return Err(Error::input(format!(
            "the {} holds {} certificates, of which {} are not in the chain of {}: import one \
             certificate (with its chain) at a time",
            format.label(),
            parsed.len(),
            parsed.len() - chain.len() - 1,
            leaf.cert.subject()
        )));
    }
    let key = match keys.len() {
        0 => None,
        1 => keys.pop(),
        n => {
            return Err(Error::input(format!(
                "the {} holds {n} private keys: import one certificate and its key at a time",
                format.label()
            )))
        }
    };
    if let Some(key) = &key {
        if leaf.cert.public_key().raw != key.public_key_der()?.as_slice() {
            return Err(Error::input(format!(
                "the private key in the {} does not belong to its certificate ({}): nothing \
                 was imported",
                format.label(),
                leaf.cert.subject()
            )));
        }
    }
    Ok(Imported {
        format,
        leaf: leaf.der.to_vec(),
        chain: chain.iter().map(|p| p.der.to_vec()).collect(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::testing::key;
    use crate::keys::KeyAlgorithm;
    use crate::keystore::testing::{bundle, PASSWORD};
    use crate::keystore::ExportFormat;

    #[test]
    fn each_format_reads_back_the_leaf_its_chain_and_key() {
        let bundle = bundle(KeyAlgorithm::EcP256);
        let leaf = ::pem::parse(&bundle.certificate_pem)
            .unwrap()
            .into_contents();
        let ca = ::pem::parse(&bundle.chain_pem).unwrap().into_contents();
        for (format, password, with_key) in [
            (ExportFormat::Pem, None, true),
            (ExportFormat::Der, None, false),
            (ExportFormat::Pkcs12, Some(PASSWORD), true),
            (ExportFormat::Jks, Some(PASSWORD), true),
        ] {
            let bytes = format.write(&bundle, password).unwrap();
            let read = parse(&bytes, password).unwrap();
            assert_eq!(read.format.to_string(), format.id());
            assert_eq!(read.leaf, leaf, "{format}");
            let chain: &[Vec<u8>] = if format == ExportFormat::Der {
                &[]
            } else {
                std::slice::from_ref(&ca)
            };
            assert_eq!(read.chain, chain, "{format}");
            assert_eq!(
                read.key.map(|k| k.pkcs8_der().to_vec()),
                with_key.then(|| bundle.key.pkcs8_der().to_vec()),
                "{format}"
            );
        }
    }

    #[test]
    fn the_leaf_is_found_whatever_the_order() {
        let bundle = bundle(KeyAlgorithm::EcP256);
        let text = format!("{}{}", bundle.chain_pem, bundle.certificate_pem);
        let read = parse(text.as_bytes(), None).unwrap();
        assert_eq!(
            read.leaf,
            ::pem::parse(&bundle.certificate_pem)
                .unwrap()
                .into_contents()
        );
        assert_eq!(read.chain.len(), 1);
    }

    #[test]
    fn bad_files_are_refused_by_what_is_wrong() {
        let one = bundle(KeyAlgorithm::EcP256);
        let other = bundle(KeyAlgorithm::EcP256);
        let two_leaves = format!("{}{}", one.certificate_pem, other.certificate_pem);
        let foreign_key = format!(
            "{}{}",
            one.certificate_pem,
            key(KeyAlgorithm::EcP384).to_pem()
        );
        let p12 = ExportFormat::Pkcs12.write(&one, Some(PASSWORD)).unwrap();
        let jks = ExportFormat::Jks.write(&one, Some(PASSWORD)).unwrap();
        let cases: [(&[u8], Option<&str>, &str); 8] = [
            (
                two_leaves.as_bytes(),
                None,
                "holds 2 certificates that are not the issuer",
            ),
            (
                foreign_key.as_bytes(),
                None,
                "does not belong to its certificate",
            ),
            (&p12, Some("wrong password"), "wrong password"),
            (&jks, Some("wrong password"), "wrong password"),
            (&p12, None, "give its password"),
            (
                one.certificate_pem.as_bytes(),
                Some(PASSWORD),
                "leave the password out",
            ),
            (b"hello", None, "is not a certificate"),
            (
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                None,
                "not valid X.509",
            ),
        ];
        for (bytes, password, message) in cases {
            let err = parse(bytes, password).unwrap_err();
            assert!(err.to_string().contains(message), "{message}: {err}");
            assert!(matches!(err, Error::Input(_)), "{err:?}");
        }
    }

    #[test]
    fn a_jks_whose_lengths_lie_is_refused_before_anything_is_allocated() {
        let mut bytes = super::super::jks::MAGIC.to_vec();
        bytes.extend(2u32.to_be_bytes()); // version
        bytes.extend(1u32.to_be_bytes()); // one entry
        bytes.extend(1u32.to_be_bytes()); // a private key
        bytes.extend(1u16.to_be_bytes());
        bytes.push(b'a');
        bytes.extend(0u64.to_be_bytes());
        bytes.extend(u32::MAX.to_be_bytes()); // a 4 GiB key
        let err = parse(&bytes, Some(PASSWORD)).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_read_bounded_and_symlinks_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = bundle(KeyAlgorithm::EcP256);
        let real = dir.path().join("cert.pem");
        std::fs::write(&real, &bundle.certificate_pem).unwrap();
        assert!(read_file(&real, None).is_ok());
        let link = dir.path().join("link.pem");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = read_file(&link, None).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        let big = dir.path().join("big.pem");
        std::fs::write(&big, vec![b'a'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = read_file(&big, None).unwrap_err();
        assert!(err.to_string().contains("larger than 1024 KiB"), "{err}");
        let err = read_file(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = read_file(&dir.path().join("missing.pem"), None).unwrap_err();
        assert!(matches!(err, Error::File { .. }), "{err:?}");
    }
}
