//! TSIG with hmac-sha1 and hmac-md5 (RFC 8945 §6): older BIND and Windows-managed keys still
//! use them, and hickory signs only with the SHA-2 family. The message layout is hickory's
//! (`message_tbs`, `signed_bitmessage_to_buf`); only the MAC is computed here.

use hickory_client::proto::dnssec::rdata::tsig::{
    make_tsig_record, message_tbs, signed_bitmessage_to_buf, TsigAlgorithm, TSIG,
};
use hickory_client::proto::dnssec::rdata::DNSSECRData;
use hickory_client::proto::op::{Message, MessageFinalizer, MessageVerifier};
use hickory_client::proto::rr::{Name, RData, Record};
use hickory_client::proto::xfer::DnsResponse;
use hickory_client::proto::ProtoError;

type ProtoResult<T> = Result<T, ProtoError>;
use hmac::{Hmac, Mac};

/// The two legacy MACs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegacyMac {
    Sha1,
    Md5,
}

impl LegacyMac {
    /// The algorithm's name as it goes on the wire. hickory spells hmac-md5's name in capitals,
    /// but the MAC covers the name in canonical (lower-case) form, which is what servers check.
    fn algorithm(self) -> TsigAlgorithm {
        match self {
            Self::Sha1 => TsigAlgorithm::HmacSha1,
            Self::Md5 => match Name::from_ascii("hmac-md5.sig-alg.reg.int.") {
                Ok(name) => TsigAlgorithm::Unknown(name),
                Err(_) => TsigAlgorithm::HmacMd5,
            },
        }
    }

    fn mac(self, key: &[u8], data: &[u8]) -> ProtoResult<Vec<u8>> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> ProtoResult<Vec<u8>> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .map_err(|_| ProtoError::from("the TSIG key is unusable"))?;
            mac.update(data);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            Self::Sha1 => run::<Hmac<sha1::Sha1>>(key, data),
            Self::Md5 => run::<Hmac<md5::Md5>>(key, data),
        }
    }
}

/// Signs updates with a legacy MAC and checks the server's signature on the answer.
#[derive(Clone)]
pub(super) struct LegacySigner {
    key: Vec<u8>,
    mac: LegacyMac,
    name: Name,
    fudge: u16,
}

impl LegacySigner {
    /// `name` is the key name in canonical form (lower case), as [`super::tsig::Key`] makes it:
    /// the MAC covers the name exactly as it goes on the wire.
    pub fn new(key: Vec<u8>, mac: LegacyMac, mut name: Name, fudge: u16) -> Self {
        name.set_fqdn(true);
        Self {
            key,
            mac,
            name,
            fudge,
        }
    }
}

impl MessageFinalizer for LegacySigner {
    fn finalize_message(
        &self,
        message: &Message,
        current_time: u32,
    ) -> ProtoResult<(Vec<Record>, Option<MessageVerifier>)> {
        let pre_tsig = TSIG::new(
            self.mac.algorithm(),
            u64::from(current_time),
            self.fudge,
            Vec::new(),
            message.id(),
            0,
            Vec::new(),
        );
        let request_mac = self.mac.mac(
            &self.key,
            &message_tbs(None, message, &pre_tsig, &self.name)?,
        )?;
        let record = make_tsig_record(self.name.clone(), pre_tsig.set_mac(request_mac.clone()));
        let signer = self.clone();
        let verifier = move |response: &[u8]| {
            let (signed, record) = signed_bitmessage_to_buf(Some(&request_mac), response, true)?;
            let RData::DNSSEC(DNSSECRData::TSIG(tsig)) = record.data() else {
                return Err(ProtoError::from("the answer carries no TSIG signature"));
            };
            if !same_name(record.name(), &signer.name)
                || !same_name(
                    &tsig.algorithm().to_name(),
                    &signer.mac.algorithm().to_name(),
                )
            {
                return Err(ProtoError::from(
                    "the answer is signed with another TSIG key (the server did not accept ours)",
                ));
            }
            let expected = signer.mac.mac(&signer.key, &signed)?;
            // Constant-time comparison is moot here (we check a server's answer, no secret
            // depends on the timing), but the lengths must match exactly: no truncated MACs.
            if tsig.mac() != expected.as_slice() {
                return Err(ProtoError::from(
                    "the TSIG signature of the answer does not verify",
                ));
            }
            DnsResponse::from_buffer(response.to_vec())
        };
        Ok((vec![record], Some(Box::new(verifier))))
    }
}

/// DNS names are equal without regard to case or a final dot (BIND answers with the names in
/// lower case, relative).
fn same_name(a: &Name, b: &Name) -> bool {
    let plain = |n: &Name| n.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    plain(a) == plain(b)
}
