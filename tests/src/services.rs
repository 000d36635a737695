//! DynamoDB Local and moto, started once per test binary on free loopback
//! ports, and stopped when the test process ends (each watches its standard
//! input, which closes with the process).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// A local server started by the tests.
struct Server {
    endpoint: String,
    /// Held open for as long as the process lives; the server exits when it closes.
    _stdin: ChildStdin,
    _child: Child,
}

/// The project's root folder.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Where `infra/local/tools.sh` installed the local tools.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("CLIENTELE_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join(".local"))
}

fn start(name: &str, mut command: Command) -> Server {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("could not start {name} ({e}); run `make test`, which installs the local tools first")
        });
    let stdout = child.stdout.take().expect("stdout is piped");
    let stdin = child.stdin.take().expect("stdin is piped");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("listening ") {
                let _ = sender.send(address.trim().to_owned());
            }
        }
    });
    let address = receiver
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{name} did not report its port within 60 s"));
    Server {
        endpoint: format!("http://{address}"),
        _stdin: stdin,
        _child: child,
    }
}

fn dynamodb() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut command = Command::new(project_root().join("infra/local/dynamodb.sh"));
        command
            .args(["0", "--exit-with-stdin"])
            .env("CLIENTELE_LOCAL_DIR", tools_dir());
        start("DynamoDB Local", command)
    })
}

fn moto() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut command = Command::new(tools_dir().join("venv/bin/python"));
        command
            .arg(project_root().join("infra/local/moto_loopback.py"))
            .args(["0", "--exit-with-stdin"]);
        start("moto", command)
    })
}

/// DynamoDB Local's endpoint.
pub fn dynamodb_endpoint() -> &'static str {
    &dynamodb().endpoint
}

/// moto's endpoint (EventBridge, Secrets Manager, SQS, S3).
pub fn moto_endpoint() -> &'static str {
    &moto().endpoint
}

/// An address on the loopback interface where nothing listens: a service
/// that is down.
pub fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let port = listener.local_addr().expect("bound").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
