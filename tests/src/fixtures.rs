//! The request fixtures the aws_lambda_events crate ships, read from the
//! crate's own source (found through `cargo metadata`), not copied here.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::services::project_root;

/// The folder of the aws_lambda_events crate this workspace builds with.
fn aws_lambda_events_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
            .arg(project_root().join("Cargo.toml"))
            .output()
            .expect("cargo metadata runs");
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let manifest = metadata["packages"]
            .as_array()
            .and_then(|packages| packages.iter().find(|p| p["name"] == "aws_lambda_events"))
            .and_then(|p| p["manifest_path"].as_str())
            .expect("the workspace depends on aws_lambda_events");
        PathBuf::from(manifest).parent().map(PathBuf::from).unwrap_or_default()
    })
}

/// One of the crate's fixtures, by file name.
pub fn aws_lambda_events_fixture(name: &str) -> Value {
    let path = aws_lambda_events_dir().join("src/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("a JSON fixture")
}

/// The HTTP API payload 2.0 authorizer request fixture.
pub fn authorizer_request() -> Value {
    aws_lambda_events_fixture("example-apigw-v2-custom-authorizer-v2-request.json")
}

/// A real 1x1 PNG (one red pixel), 70 bytes.
pub const TINY_PNG: [u8; 70] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
