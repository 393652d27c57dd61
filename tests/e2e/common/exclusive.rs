//! Tests that must not overlap with each other now that every test runs in one process.

use std::sync::{Mutex, MutexGuard};

/// Held for the whole test by the tests that load the machine or measure it: the slowloris
/// attacks (the test process holds up to 400 connections for one, and their timings and CPU
/// shares must stay those of the server under test, not of two attacks sharing two cores) and
/// the torture test (hundreds of certdesk starts killed at random). Separate test binaries used
/// to keep them apart; in one binary this lock does. Other tests still run beside them.
pub fn heavy() -> MutexGuard<'static, ()> {
    static HEAVY: Mutex<()> = Mutex::new(());
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Held by a DNS server that answers at the fixed address of a system resolver
/// ([`super::bind::Bind::start_as_resolver`]), so that two such servers never run at once.
pub fn resolver() -> MutexGuard<'static, ()> {
    static RESOLVER: Mutex<()> = Mutex::new(());
    RESOLVER.lock().unwrap_or_else(|e| e.into_inner())
}
