//! When a saved certificate renews. The CA's ACME Renewal Information (RFC 9773) decides when it
//! has an answer; otherwise a third of the lifetime is left (30 days of a 90-day certificate, 15 of
//! a 45-day one), half of it for a certificate that lives under [`SHORT_LIVED`] (3 days of a 6-day
//! one: Let's Encrypt's guidance for short-lived certificates, which leaves a failed renewal
//! time to be retried), or the administrator's fixed "days before expiry" applies. A certificate
//! the CA wants replaced now, or that was revoked here, renews at once.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::acme::ari::AriWindow;
use crate::repository::{Revocation, RevocationReason};

/// Why a certificate renews when it does; shown by `certdesk renew --due --dry-run`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[derive(ts_rs::TS)]
pub enum Reason {
    /// A time inside the CA's suggested window.
    Ari {
        #[serde(with = "time::serde::rfc3339")]
        #[ts(type = "string")]
        start: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        #[ts(type = "string")]
        end: OffsetDateTime,
    },
    /// The CA's window lies in the past: it wants the certificate replaced now (revocation,
    /// incident).
    AriNow {
        #[serde(with = "time::serde::rfc3339")]
        #[ts(type = "string")]
        end: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation_url: Option<String>,
    },
    /// A third of the lifetime left, or half of it under [`SHORT_LIVED`] (no ARI from the CA).
    Lifetime { lifetime_days: i64 },
    /// The administrator's fixed number of days before expiry.
    Setting { days: u32 },
    /// Revoked here: its replacement is due at once.
    Revoked,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ari { start, end } => write!(
                f,
                "ARI: the CA suggests renewing between {} and {}",
                short(*start),
                short(*end)
            ),
            Self::AriNow {
                end,
                explanation_url,
            } => {
                write!(
                    f,
                    "ARI: the CA asks for a replacement now (its window ended {})",
                    short(*end)
                )?;
                match explanation_url {
                    Some(url) => write!(f, ", see {url}"),
                    None => Ok(()),
                }
            }
            Self::Lifetime { lifetime_days } => write!(
                f,
                "lifetime rule: {} of its {lifetime_days}-day lifetime is left",
                match Duration::days(*lifetime_days) < SHORT_LIVED {
                    true => "half",
                    false => "a third",
                }
            ),
            Self::Setting { days } => write!(f, "setting: {days} days before expiry"),
            Self::Revoked => write!(f, "revoked: it is replaced at once"),
        }
    }
}

/// Certificates that live less than this renew at half their lifetime, longer ones with a third
/// of it left.
pub const SHORT_LIVED: Duration = Duration::days(10);

/// How long before `not_after` a certificate with `lifetime` renews by the lifetime rule.
fn lifetime_left(lifetime: Duration) -> Duration {
    match lifetime < SHORT_LIVED {
        true => lifetime / 2,
        false => lifetime / 3,
    }
}

/// A time as administrators read it: `2026-11-26 20:17 UTC`.
pub(crate) fn short(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// When a certificate is due and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Plan {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub reason: Reason,
}

/// What the plan reads of a certificate version: the fields that say when it renews, taken from
/// the certificate's view ([`crate::repository::CertView`]), which the scheduler's check reads
/// for every saved certificate at each wake-up.
#[derive(Debug, Clone)]
pub struct Validity {
    pub serial: String,
    pub names: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub revoked: Option<Revocation>,
}

/// When `cert` (the current version of entry `id`) renews. `days_before` is the administrator's
/// setting (0: ARI, else the lifetime rule); `ari` the CA's last answer. `None`: never on its own
/// (revoked because the service was given up).
pub fn plan(
    id: &str,
    cert: &Validity,
    days_before: u32,
    ari: Option<&AriWindow>,
    now: OffsetDateTime,
) -> Option<Plan> {
    if let Some(revocation) = &cert.revoked {
        if revocation.reason == RevocationReason::CessationOfOperation {
            return None;
        }
        return Some(Plan {
            at: revocation.at.min(now),
            reason: Reason::Revoked,
        });
    }
    // A window that opens only after the certificate expired is no advice (a CA's mistake, or a
    // far-future date): the other rules decide. One that runs past the expiry ends there.
    let clipped = ari.filter(|w| w.start < cert.not_after).map(|w| AriWindow {
        end: w.end.min(cert.not_after),
        ..w.clone()
    });
    let ari = clipped.as_ref();
    if let Some(window) = ari.filter(|w| w.end <= now) {
        // RFC 9773 §4.2: a window in the past means "renew now" (how a CA signals a revocation
        // to come). This overrides even a fixed setting.
        return Some(Plan {
            at: window.end,
            reason: Reason::AriNow {
                end: window.end,
                explanation_url: window.explanation_url.clone(),
            },
        });
    }
    if days_before > 0 {
        return Some(Plan {
            at: cert
                .not_after
                .saturating_sub(Duration::days(i64::from(days_before))),
            reason: Reason::Setting { days: days_before },
        });
    }
    if let Some(window) = ari {
        return Some(Plan {
            at: point_in(id, &cert.serial, window.start, window.end),
            reason: Reason::Ari {
                start: window.start,
                end: window.end,
            },
        });
    }
    // A certificate whose validity ends before it begins (a broken or hostile one) is due now.
    let lifetime = (cert.not_after - cert.not_before).max(Duration::ZERO);
    Some(Plan {
        at: cert.not_after.saturating_sub(lifetime_left(lifetime)),
        reason: Reason::Lifetime {
            lifetime_days: (lifetime.whole_hours() + 12) / 24,
        },
    })
}

/// A point in `[start, end)` fixed by the certificate: RFC 9773 asks clients to spread renewals
/// over the window (so that a CA's clients do not all come at once), and a point derived from the
/// certificate keeps that spread while two runs (the app and a cron job) agree on it.
fn point_in(id: &str, serial: &str, start: OffsetDateTime, end: OffsetDateTime) -> OffsetDateTime {
    if end <= start {
        return start;
    }
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{id}/{serial}").as_bytes(),
    );
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_ref()[..8]);
    let fraction = u64::from_be_bytes(first) as f64 / (u64::MAX as f64 + 1.0);
    let span = (end - start).whole_seconds() as f64;
    start.saturating_add(Duration::seconds((span * fraction) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(not_before: OffsetDateTime, days: i64) -> Validity {
        Validity {
            serial: "0a1b".into(),
            names: vec!["example.com".into()],
            not_before,
            not_after: not_before + Duration::days(days),
            revoked: None,
        }
    }

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time")
    }

    #[test]
    fn the_lifetime_rule_scales_with_the_lifetime() {
        for (days, left) in [(90, 30), (45, 15), (30, 10), (12, 4), (6, 3), (2, 1)] {
            let v = version(t0(), days);
            let p = plan("id", &v, 0, None, t0()).expect("a plan");
            assert_eq!(v.not_after - p.at, Duration::days(left), "{days}-day cert");
            assert_eq!(
                p.reason,
                Reason::Lifetime {
                    lifetime_days: days
                }
            );
        }
    }

    #[test]
    fn short_lived_certificates_renew_at_half_life() {
        // Pebble's and Let's Encrypt's: the period less one second.
        let v = Validity {
            not_after: t0() + Duration::hours(6 * 24) - Duration::seconds(1),
            ..version(t0(), 6)
        };
        let p = plan("id", &v, 0, None, t0()).expect("a plan");
        let left = v.not_after - p.at;
        assert!(
            left > Duration::hours(71) && left <= Duration::hours(72),
            "{left}"
        );
        assert_eq!(
            p.reason.to_string(),
            "lifetime rule: half of its 6-day lifetime is left"
        );
        let shortlived = version(t0(), 0);
        let shortlived = Validity {
            not_after: t0() + Duration::hours(160),
            ..shortlived
        };
        let p = plan("id", &shortlived, 0, None, t0()).expect("a plan");
        assert_eq!(shortlived.not_after - p.at, Duration::hours(80));
        let p = plan("id", &version(t0(), 90), 0, None, t0()).expect("a plan");
        assert_eq!(
            p.reason.to_string(),
            "lifetime rule: a third of its 90-day lifetime is left"
        );
    }

    #[test]
    fn the_setting_fixes_the_days_and_ari_chooses_inside_its_window_the_same_way_twice() {
        let v = version(t0(), 90);
        let p = plan("id", &v, 10, None, t0()).expect("a plan");
        assert_eq!(p.at, v.not_after - Duration::days(10));
        let window = AriWindow {
            start: t0() + Duration::days(50),
            end: t0() + Duration::days(52),
            explanation_url: None,
        };
        let a = plan("id", &v, 0, Some(&window), t0()).expect("a plan");
        assert!(a.at >= window.start && a.at < window.end, "{a:?}");
        assert_eq!(a, plan("id", &v, 0, Some(&window), t0()).expect("a plan"));
        let other = plan("other", &v, 0, Some(&window), t0()).expect("a plan");
        assert_ne!(a.at, other.at, "certificates spread over the window");
        // A fixed setting wins over an open window, but not over a window in the past.
        assert_eq!(
            plan("id", &v, 10, Some(&window), t0())
                .expect("a plan")
                .reason,
            Reason::Setting { days: 10 }
        );
        let now = window.end + Duration::minutes(1);
        let urgent = plan("id", &v, 10, Some(&window), now).expect("a plan");
        assert!(matches!(urgent.reason, Reason::AriNow { .. }) && urgent.at <= now);
    }

    #[test]
    fn ari_windows_after_the_expiry_are_no_advice_and_long_ones_end_there() {
        let v = version(t0(), 90);
        let after_expiry = AriWindow {
            start: v.not_after + Duration::days(1),
            end: time::PrimitiveDateTime::MAX.assume_utc(),
            explanation_url: None,
        };
        let p = plan("id", &v, 0, Some(&after_expiry), t0()).expect("a plan");
        assert_eq!(p.reason, Reason::Lifetime { lifetime_days: 90 });
        let past_expiry = AriWindow {
            start: t0() + Duration::days(80),
            end: time::PrimitiveDateTime::MAX.assume_utc(),
            explanation_url: None,
        };
        let p = plan("id", &v, 0, Some(&past_expiry), t0()).expect("a plan");
        assert!(p.at >= past_expiry.start && p.at < v.not_after, "{p:?}");
        assert_eq!(
            p.reason,
            Reason::Ari {
                start: past_expiry.start,
                end: v.not_after
            }
        );
    }

    #[test]
    fn ancient_far_future_and_backwards_validities_do_not_panic() {
        let min = time::PrimitiveDateTime::MIN.assume_utc();
        let max = time::PrimitiveDateTime::MAX.assume_utc();
        for (not_before, not_after) in [(min, max), (max, min), (min, min), (max, max)] {
            let v = Validity {
                not_before,
                not_after,
                ..version(t0(), 1)
            };
            let window = AriWindow {
                start: min,
                end: max,
                explanation_url: None,
            };
            for now in [min, t0(), max] {
                for days in [0, 1, crate::settings::MAX_RENEW_DAYS] {
                    let _ = plan("id", &v, days, Some(&window), now);
                    let _ = plan("id", &v, days, None, now);
                }
            }
        }
        // Validity that ends before it begins: due at its end, not after it.
        let backwards = Validity {
            not_before: t0() + Duration::days(10),
            not_after: t0(),
            ..version(t0(), 1)
        };
        let p = plan("id", &backwards, 0, None, t0()).expect("a plan");
        assert_eq!(p.at, t0());
    }

    #[test]
    fn revoked_certificates_renew_at_once_unless_the_service_was_given_up() {
        let mut v = version(t0(), 90);
        v.revoked = Some(Revocation {
            reason: RevocationReason::KeyCompromise,
            at: t0() + Duration::days(1),
        });
        let now = t0() + Duration::days(2);
        let p = plan("id", &v, 0, None, now).expect("a plan");
        assert_eq!((p.reason, p.at <= now), (Reason::Revoked, true));
        v.revoked = Some(Revocation {
            reason: RevocationReason::CessationOfOperation,
            at: t0(),
        });
        assert_eq!(plan("id", &v, 0, None, now), None);
    }
}
