//! The checks of what a CA sends that need no ACME client; the engine's `acme::checks` adds
//! the ones on instant-acme's types.

pub mod checks;
pub mod dns_account;
