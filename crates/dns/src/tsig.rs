//! TSIG (RFC 8945) for the RFC 2136 provider: the key as servers know it, one signer for every
//! algorithm, and the server's answer read in its own terms (its TSIG error) rather than in a
//! library's.

use std::sync::Arc;

use base64::Engine as _;
use hickory_client::proto::dnssec::rdata::tsig::TsigAlgorithm;
use hickory_client::proto::dnssec::rdata::DNSSECRData;
use hickory_client::proto::dnssec::tsig::TSigner;
use hickory_client::proto::op::{Message, MessageFinalizer, MessageVerifier, ResponseCode};
use hickory_client::proto::rr::{Name, RData, Record};
use hickory_client::proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable};
use hickory_client::proto::xfer::DnsResponse;
use hickory_client::proto::ProtoError;

use super::tsig_legacy::{LegacyMac, LegacySigner};
use certdesk_base::error::{Error, Result};

/// How long a signed update stays valid (RFC 8945 recommends 300 s).
pub(super) const FUDGE: u16 = 300;

/// A TSIG key ready to sign updates.
pub(super) struct Key {
    /// Canonical: lower case and fully qualified. RFC 8945 §4.3.3 puts the key name into the MAC
    /// in canonical form and Knot finds keys by it, so a key typed `CertDesk-Net` must go out
    /// (on the wire and into the MAC) as `certdesk-net.`.
    name: Name,
    algorithm: &'static str,
    signer: Arc<Signer>,
}

impl Key {
    /// The key `name` with the base64 `secret` and `algorithm` (hmac-sha256 unless given).
    pub fn new(name: &str, secret: &str, algorithm: Option<&str>) -> Result<Self> {
        let requested = algorithm.unwrap_or("hmac-sha256");
        let (label, mac) = match requested.to_ascii_lowercase().trim_end_matches('.') {
            "hmac-sha256" => ("hmac-sha256", Mac::Sha2(TsigAlgorithm::HmacSha256)),
            "hmac-sha384" => ("hmac-sha384", Mac::Sha2(TsigAlgorithm::HmacSha384)),
            "hmac-sha512" => ("hmac-sha512", Mac::Sha2(TsigAlgorithm::HmacSha512)),
            "hmac-sha1" => ("hmac-sha1", Mac::Legacy(LegacyMac::Sha1)),
            "hmac-md5" | "hmac-md5.sig-alg.reg.int" => ("hmac-md5", Mac::Legacy(LegacyMac::Md5)),
            other => {
                return Err(Error::input(format!(
                    "RFC 2136: unknown TSIG algorithm {other:?}: choose hmac-sha256, \
                     hmac-sha384, hmac-sha512, hmac-sha1 or hmac-md5"
                )))
            }
        };
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret.trim())
            .map_err(|_| {
                Error::input(format!(
                    "RFC 2136: the secret of key {name:?} is not base64 (copy the `secret` of \
                     the tsig-keygen output)"
                ))
            })?;
        let key_name = canonical_name(name)?;
        let inner = match mac {
            Mac::Sha2(algorithm) => Inner::Sha2(
                TSigner::new(secret, algorithm, key_name.clone(), FUDGE).map_err(|e| {
                    Error::input(format!("RFC 2136: the TSIG key is unusable ({e})"))
                })?,
            ),
            Mac::Legacy(mac) => {
                Inner::Legacy(LegacySigner::new(secret, mac, key_name.clone(), FUDGE))
            }
        };
        Ok(Self {
            signer: Arc::new(Signer {
                inner,
                key: display(&key_name),
            }),
            name: key_name,
            algorithm: label,
        })
    }

    /// The key name as certdesk sends it, without the final dot, for messages.
    pub fn name(&self) -> String {
        display(&self.name)
    }

    /// The algorithm's usual name (hmac-sha256 …), for messages.
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// What hickory's client signs every message with.
    pub fn signer(&self) -> Arc<dyn MessageFinalizer> {
        self.signer.clone()
    }
}

/// `name` as a key name in canonical form: lower case, fully qualified.
fn canonical_name(name: &str) -> Result<Name> {
    let trimmed = name.trim();
    let parsed = Name::from_ascii(trimmed)
        .ok()
        .filter(|n| !n.is_root() && !trimmed.is_empty())
        .ok_or_else(|| {
            Error::input(format!("RFC 2136: the key name {name:?} is not a DNS name"))
        })?;
    let mut canonical = parsed.to_lowercase();
    canonical.set_fqdn(true);
    Ok(canonical)
}

fn display(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_owned()
}

/// Which MAC a key uses, and so which signer computes it.
enum Mac {
    Sha2(TsigAlgorithm),
    Legacy(LegacyMac),
}

enum Inner {
    /// hickory's own signer: the SHA-2 family.
    Sha2(TSigner),
    /// certdesk's: hmac-sha1 and hmac-md5.
    Legacy(LegacySigner),
}

/// Signs with the key's signer and checks the server's answer with it, but lets a refusal
/// through unverified.
///
/// A server that rejects a key answers unsigned (RFC 8945 §5.3.2: an empty MAC with the TSIG
/// error BADSIG or BADKEY), which the signers cannot verify; left to them, the user would read
/// their complaint (hickory's is about truncated MACs) instead of the server's answer. Believing
/// an unsigned answer is safe only when it makes certdesk give up: so only answers whose rcode is
/// not NOERROR pass unverified, and a NOERROR answer must verify.
struct Signer {
    inner: Inner,
    /// The key name, for the message about an answer that does not verify.
    key: String,
}

impl MessageFinalizer for Signer {
    fn finalize_message(
        &self,
        message: &Message,
        current_time: u32,
    ) -> std::result::Result<(Vec<Record>, Option<MessageVerifier>), ProtoError> {
        let (records, verifier) = match &self.inner {
            Inner::Sha2(signer) => signer.finalize_message(message, current_time)?,
            Inner::Legacy(signer) => signer.finalize_message(message, current_time)?,
        };
        let Some(mut verify) = verifier else {
            return Ok((records, None));
        };
        let key = self.key.clone();
        let checked: MessageVerifier = Box::new(move |answer: &[u8]| {
            verify(answer).or_else(|_| unverified_refusal(answer, &key))
        });
        Ok((records, Some(checked)))
    }
}

/// `answer`, which did not verify, if it is a refusal; else an error saying it cannot be trusted.
fn unverified_refusal(answer: &[u8], key: &str) -> std::result::Result<DnsResponse, ProtoError> {
    let response = DnsResponse::from_buffer(answer.to_vec())?;
    if response.response_code() == ResponseCode::NoError {
        return Err(ProtoError::from(format!(
            "the server's answer is not signed with the key {key} (or its signature does not \
             verify), so certdesk does not trust it: check that nothing between certdesk and the \
             server rewrites DNS messages"
        )));
    }
    Ok(response)
}

/// The TSIG error a server put in its answer (RFC 8945 §5.3), the reason it rejected a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TsigError {
    /// The MAC does not verify: another secret or algorithm.
    BadSig,
    /// No key of that name and algorithm; Knot also answers it when an ACL denies the update.
    BadKey,
    /// The signing time is outside the fudge: the clocks differ.
    BadTime,
    /// The MAC is shorter than the server accepts.
    BadTrunc,
    /// A code RFC 8945 does not define for TSIG, shown as its number.
    Other(u16),
}

impl TsigError {
    /// The TSIG error of `answer`; `None` when it carries no TSIG record or the error is 0.
    ///
    /// hickory keeps the error field private, so it is read back from the record's wire form:
    /// algorithm name, time (48 bits), fudge, MAC size and MAC, original id, then the error.
    pub fn of(answer: &Message) -> Option<Self> {
        let tsig = answer.signature().iter().find_map(|r| match r.data() {
            RData::DNSSEC(DNSSECRData::TSIG(tsig)) => Some(tsig),
            _ => None,
        })?;
        let wire = tsig.to_bytes().ok()?;
        let mut decoder = BinDecoder::new(&wire);
        Name::read(&mut decoder).ok()?;
        decoder.read_slice(6 + 2).ok()?;
        let mac_len = decoder.read_u16().ok()?.unverified();
        decoder.read_slice(usize::from(mac_len)).ok()?;
        decoder.read_u16().ok()?;
        match decoder.read_u16().ok()?.unverified() {
            0 => None,
            16 => Some(Self::BadSig),
            17 => Some(Self::BadKey),
            18 => Some(Self::BadTime),
            22 => Some(Self::BadTrunc),
            other => Some(Self::Other(other)),
        }
    }
}

impl std::fmt::Display for TsigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSig => f.write_str("BADSIG"),
            Self::BadKey => f.write_str("BADKEY"),
            Self::BadTime => f.write_str("BADTIME"),
            Self::BadTrunc => f.write_str("BADTRUNC"),
            Self::Other(code) => write!(f, "{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_client::proto::dnssec::rdata::tsig::{make_tsig_record, TSIG};
    use hickory_client::proto::op::{MessageType, OpCode, Query};
    use hickory_client::proto::rr::RecordType;

    const SECRET: &str = "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3I=";
    const ALGORITHMS: [&str; 5] = [
        "hmac-sha256",
        "hmac-sha384",
        "hmac-sha512",
        "hmac-sha1",
        "hmac-md5",
    ];

    fn update() -> Message {
        let mut message = Message::new();
        message
            .set_id(4711)
            .set_message_type(MessageType::Query)
            .set_op_code(OpCode::Update)
            .add_query(Query::query(
                Name::from_ascii("example.com.").expect("name"),
                RecordType::SOA,
            ));
        message
    }

    /// The wire form of `update()` signed with the key `name`.
    fn signed(name: &str, algorithm: &str) -> Vec<u8> {
        let key = Key::new(name, SECRET, Some(algorithm)).expect("key");
        let mut message = update();
        message
            .finalize(key.signer().as_ref(), 1_700_000_000)
            .expect("sign");
        message.to_vec().expect("encode")
    }

    #[test]
    fn a_mixed_case_key_name_is_sent_and_signed_in_canonical_form_for_every_algorithm() {
        for algorithm in ALGORITHMS {
            let canonical = signed("certdesk-net.", algorithm);
            // Same bytes, MAC included: the name on the wire and in the MAC is the lower-case one.
            assert_eq!(signed("CertDesk-Net", algorithm), canonical, "{algorithm}");
            assert_eq!(
                signed(" CERTDESK-NET. ", algorithm),
                canonical,
                "{algorithm}"
            );
            let message = Message::from_vec(&canonical).expect("decode");
            assert!(
                message.signature()[0]
                    .name()
                    .eq_case(&Name::from_ascii("certdesk-net.").expect("name")),
                "{algorithm}: {:?}",
                message.signature()[0].name()
            );
        }
    }

    #[test]
    fn a_server_knowing_the_key_in_lower_case_verifies_a_mixed_case_signature() {
        let server = TSigner::new(
            base64::engine::general_purpose::STANDARD
                .decode(SECRET)
                .expect("base64"),
            TsigAlgorithm::HmacSha256,
            Name::from_ascii("certdesk-net.").expect("name"),
            FUDGE,
        )
        .expect("signer");
        server
            .verify_message_byte(None, &signed("CertDesk-Net", "hmac-sha256"), true)
            .expect("verifies");
    }

    #[test]
    fn key_names_and_algorithms_that_are_not_usable_are_refused() {
        for name in ["", ".", "a..b"] {
            let e = Key::new(name, SECRET, None).err().expect("refused");
            assert!(e.to_string().contains("is not a DNS name"), "{name:?}: {e}");
        }
        let e = Key::new("k", SECRET, Some("hmac-sha3"))
            .err()
            .expect("refused");
        assert!(e.to_string().contains("unknown TSIG algorithm"), "{e}");
        let e = Key::new("k", "not base64!", None).err().expect("refused");
        assert!(e.to_string().contains("not base64"), "{e}");
        let key =
            Key::new("CertDesk-Net.", SECRET, Some("HMAC-MD5.SIG-ALG.REG.INT.")).expect("key");
        assert_eq!(
            (key.name().as_str(), key.algorithm()),
            ("certdesk-net", "hmac-md5")
        );
    }

    /// A server's answer to `update()` with `rcode` and a TSIG record carrying `error` and `mac`.
    fn answer(rcode: ResponseCode, error: u16, mac: Vec<u8>) -> Message {
        let mut message = update();
        message
            .set_message_type(MessageType::Response)
            .set_response_code(rcode);
        let tsig = TSIG::new(
            TsigAlgorithm::HmacSha256,
            1_700_000_000,
            FUDGE,
            mac,
            4711,
            error,
            Vec::new(),
        );
        message.add_tsig(make_tsig_record(
            Name::from_ascii("certdesk-net.").expect("name"),
            tsig,
        ));
        message
    }

    #[test]
    fn the_tsig_error_of_an_answer_is_read_from_its_record() {
        let cases = [
            (16, Some(TsigError::BadSig)),
            (17, Some(TsigError::BadKey)),
            (18, Some(TsigError::BadTime)),
            (22, Some(TsigError::BadTrunc)),
            (99, Some(TsigError::Other(99))),
            (0, None),
        ];
        for (code, expected) in cases {
            for mac in [Vec::new(), vec![7; 32]] {
                let wire = answer(ResponseCode::NotAuth, code, mac)
                    .to_vec()
                    .expect("encode");
                let parsed = Message::from_vec(&wire).expect("decode");
                assert_eq!(TsigError::of(&parsed), expected, "{code}");
            }
        }
        assert_eq!(TsigError::of(&update()), None);
    }

    #[test]
    fn an_unsigned_refusal_gets_through_but_an_unsigned_success_does_not() {
        for algorithm in ["hmac-sha256", "hmac-sha1"] {
            let key = Key::new("CertDesk-Net", SECRET, Some(algorithm)).expect("key");
            let (_, verifier) = key
                .signer()
                .finalize_message(&update(), 1_700_000_000)
                .expect("sign");
            let mut verify = verifier.expect("a verifier");
            let refused = answer(ResponseCode::NotAuth, 16, Vec::new())
                .to_vec()
                .expect("encode");
            let response = verify(&refused).expect("a refusal is believed");
            assert_eq!(response.response_code(), ResponseCode::NotAuth);
            assert_eq!(TsigError::of(&response), Some(TsigError::BadSig));

            let forged = answer(ResponseCode::NoError, 0, vec![7; 32])
                .to_vec()
                .expect("encode");
            let e = verify(&forged).expect_err("not believed").to_string();
            assert!(
                e.contains("not signed with the key certdesk-net") && !e.contains("file an issue"),
                "{algorithm}: {e}"
            );
        }
    }
}
