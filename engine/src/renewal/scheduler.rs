//! The renewal scheduler: a loop, run as a tokio task by the app, that makes one pass
//! ([`Engine::renew_due_once`]) and sleeps until the next certificate is due. Time comes from a
//! [`Clock`] so that tests move it instead of waiting for it.

use std::future::Future;
use std::pin::Pin;

use time::{Duration, OffsetDateTime};

use super::PassReport;
use crate::activity::Face;
use crate::error::{Error, Result};
use crate::Engine;

/// Where the scheduler gets the time and how it waits.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
    /// Returns at `at` (at once when `at` has passed).
    fn sleep_until(&self, at: OffsetDateTime) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep_until(&self, at: OffsetDateTime) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let wait = std::time::Duration::try_from(at - self.now()).unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The longest sleep between passes. tokio's timers stop while a laptop sleeps, and the
/// administrator may change the settings or the clock: a pass at least this often notices.
pub const MAX_IDLE: Duration = Duration::minutes(30);
/// The shortest pause between passes, so that a pass that keeps failing cannot spin.
pub const MIN_IDLE: Duration = Duration::minutes(1);
/// The pause after a pass that could not run at all (the store or the settings failed).
pub const AFTER_ERROR: Duration = Duration::minutes(5);

impl Engine {
    /// Runs passes for as long as the future is polled: one at start, then whenever the next
    /// certificate is due (at least every [`MAX_IDLE`]). `on_pass` sees each pass's report, for
    /// notices. Its renewal attempts are logged as the scheduler's.
    pub async fn run_scheduler(
        &self,
        clock: &dyn Clock,
        mut on_pass: impl FnMut(std::result::Result<&PassReport, &Error>),
    ) {
        loop {
            let now = clock.now();
            let result: Result<PassReport> = self.pass(now, Face::Scheduler).await;
            let next = match &result {
                Ok(report) => report
                    .next_due
                    .unwrap_or(now + MAX_IDLE)
                    .clamp(now + MIN_IDLE, now + MAX_IDLE),
                Err(_) => now + AFTER_ERROR,
            };
            self.note_next_run(next);
            on_pass(result.as_ref());
            clock.sleep_until(next).await;
        }
    }
}
