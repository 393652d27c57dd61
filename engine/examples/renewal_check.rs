//! Times the renewal scheduler's check (`Engine::renewal_plans`: every saved certificate, its
//! request and its renewal state, planned) over a data folder, for `bench/renewal.py`. Prints
//! one JSON line: the number of certificates, how many are due, and the median and worst of
//! `RUNS` checks in milliseconds.
//!
//! Usage (inside a keychain session): `renewal_check DATA_DIR [RUNS]`

use std::path::PathBuf;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: renewal_check DATA_DIR [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(7), |r| r.parse())?;
    let face = certdesk_engine::activity::Face::Cli;
    let engine = certdesk_engine::Engine::open(&PathBuf::from(dir), face).await?;
    let now = time::OffsetDateTime::now_utc();
    let mut times = Vec::new();
    let mut plans = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        plans = engine.renewal_plans(now)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let due = plans.iter().filter(|p| p.due(now)).count();
    println!(
        "{{\"certificates\": {}, \"due\": {due}, \"median_ms\": {:.1}, \"max_ms\": {:.1}}}",
        plans.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}
