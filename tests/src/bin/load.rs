//! `make load`: a bounded load against a running `make run` (see
//! `clientele_tests::load`), its figures printed; fails if a write was lost,
//! a server error answered, or a race had other than one winner.
//!
//! Settings, from the environment: `LOAD_URL` (default
//! `http://127.0.0.1:9000`), `LOAD_CLIENTS` (8), `LOAD_BUSINESSES` (4),
//! `LOAD_SECONDS` (20), and `JWT_SIGNING_KEY`, the local stack's key.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::Duration;

use clientele_auth::{Role, SigningKey, TokenSettings, issue};
use clientele_core::{BusinessId, Timestamp};
use clientele_tests::load::{self, Http, Load};

fn setting(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let url = std::env::var("LOAD_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".to_owned());
    let load = Load {
        clients: setting("LOAD_CLIENTS", 8)? as usize,
        businesses: setting("LOAD_BUSINESSES", 4)? as usize,
        duration: Duration::from_secs(setting("LOAD_SECONDS", 20)?),
    };
    let key = std::env::var("JWT_SIGNING_KEY").map_err(|_| "set JWT_SIGNING_KEY, the local stack's key".to_owned())?;
    let key = SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let settings = TokenSettings::default();
    let tokens = move |business: BusinessId, role: Role| {
        issue(
            &key,
            &settings,
            "load",
            business,
            &[role],
            Duration::from_secs(1_800),
            Timestamp::now(),
        )
        .unwrap_or_default()
    };
    println!(
        "load: {} clients over {} businesses for {} s against {url}",
        load.clients,
        load.businesses,
        load.duration.as_secs()
    );
    let report = load::run(&Http::new(&url, Duration::from_secs(30)), &tokens, &load).await;
    print!("{}", report.table());
    let problems = report.problems();
    if problems.is_empty() {
        println!("load: no server error, no lost write, every race had one winner");
        Ok(())
    } else {
        for problem in &problems {
            println!("  {problem}");
        }
        Err(format!("{} things went wrong", problems.len()))
    }
}
