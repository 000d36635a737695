//! `clientele local-functions`: every function of the template, from the
//! build `make run` made, served through the Lambda Runtime API that
//! `cargo lambda watch --only-lambda-apis` emulates on the loopback
//! interface, as Lambda runs them: each instance a process that asks for
//! the next invocation, answers it, and asks again.
//!
//! A function with HTTP routes runs several instances, which share its
//! queue, so that requests made at once are served at once, as Lambda's
//! concurrent instances serve them; an event function runs one. An
//! instance that stops is started again after a second. Everything this
//! command started stops with it (Ctrl-C or `SIGTERM`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clientele_stack::Template;
use tokio::process::Command;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long an instance that stopped waits before it is started again.
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// One function's binary and how many instances of it run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The binary's name, which is also the function's name to the emulator.
    pub binary: String,
    /// How many processes serve it.
    pub instances: usize,
}

/// What runs: each function of `template`, `http_instances` times when it
/// has HTTP routes, once otherwise.
pub fn plan(template: &Template, http_instances: usize) -> Vec<Served> {
    let mut served: Vec<Served> = template
        .functions()
        .into_iter()
        .filter(|function| !function.binary.is_empty())
        .map(|function| Served {
            instances: if function.routes.is_empty() {
                1
            } else {
                http_instances.max(1)
            },
            binary: function.binary,
        })
        .collect();
    served.sort_by(|a, b| a.binary.cmp(&b.binary));
    served
}

/// Runs `served` from the binaries in `bin_dir` against the Runtime API on
/// 127.0.0.1:`port` until Ctrl-C or `SIGTERM`.
pub async fn run(bin_dir: &Path, port: u16, served: &[Served]) -> Result<(), String> {
    for function in served {
        let path = bin_dir.join(&function.binary);
        if !path.is_file() {
            return Err(format!(
                "{} is not built: run `make run`, which builds it",
                path.display()
            ));
        }
    }
    let (stop, stopping) = watch::channel(false);
    let mut instances = JoinSet::new();
    for function in served {
        for instance in 1..=function.instances {
            instances.spawn(keep_running(
                bin_dir.join(&function.binary),
                function.binary.clone(),
                instance,
                port,
                stopping.clone(),
            ));
        }
    }
    let count: usize = served.iter().map(|f| f.instances).sum();
    eprintln!(
        "local-functions: {count} instances of {} functions on the Runtime API at 127.0.0.1:{port}",
        served.len()
    );
    stop_signal().await;
    let _ = stop.send(true);
    while instances.join_next().await.is_some() {}
    Ok(())
}

/// One instance: started, and started again whenever it stops, until told to stop.
async fn keep_running(binary: PathBuf, name: String, instance: usize, port: u16, mut stopping: watch::Receiver<bool>) {
    while !*stopping.borrow() {
        // The Runtime API first: an instance started before it listens
        // would only fail to connect.
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stopping.changed() => return,
            }
        }
        let started = Command::new(&binary)
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt/{name}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{name}/{instance}"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let mut child = match started {
            Ok(child) => child,
            Err(error) => {
                eprintln!("local-functions: {name} #{instance} did not start: {error}");
                return;
            }
        };
        tokio::select! {
            status = child.wait() => {
                let said = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                eprintln!("local-functions: {name} #{instance} stopped ({said}); starting it again");
            }
            _ = stopping.changed() => {
                let _ = child.kill().await;
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RESTART_AFTER) => {}
            _ = stopping.changed() => return,
        }
    }
}

/// Ctrl-C or `SIGTERM`, whichever comes first.
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
