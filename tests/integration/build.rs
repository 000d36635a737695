//! One build for every stage: every function and the `clientele` command,
//! built as `make run` builds them (with `clientele-startup/dev-build`),
//! resolve every dependency with the features the test build gives it, so
//! `make test`'s stages and `make run` reuse one build instead of compiling
//! the AWS SDK again per function. When a dependency differs, this test
//! prints the line to add to `shared/dev-build/Cargo.toml`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use clientele_tests::services::project_root;

/// What `make run` builds besides the tests: every function and the command.
const BUILT: &[&str] = &[
    "customers",
    "tags",
    "notes",
    "contacts",
    "gdpr",
    "service",
    "auth-check",
    "publisher",
    "inbound",
    "clientele-cli",
];

/// `(name, version) → features` of every dependency outside the workspace.
type Features = BTreeMap<(String, String), BTreeSet<String>>;

fn features(args: &[&str]) -> Features {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["tree", "--locked", "--prefix", "none", "--format", "{p}|{f}"])
        .args(args)
        .current_dir(project_root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut features = Features::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let Some((package, enabled)) = line.split_once('|') else {
            continue;
        };
        if package.contains("(/") {
            continue; // a workspace member
        }
        let mut words = package.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        features
            .entry((name.to_owned(), version.trim_start_matches('v').to_owned()))
            .or_default()
            .extend(
                enabled
                    .trim_end_matches(" (*)")
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned),
            );
    }
    features
}

#[test]
fn every_build_of_make_run_reuses_the_test_builds_dependencies() {
    let tests = features(&["--workspace", "--edges", "normal,build,dev"]);
    let mut missing = BTreeMap::new();
    for package in BUILT {
        let built = features(&[
            "--package",
            package,
            "--edges",
            "normal,build",
            "--features",
            "clientele-startup/dev-build",
        ]);
        for (dependency, enabled) in built {
            let wanted = tests.get(&dependency).cloned().unwrap_or_default();
            if enabled != wanted {
                missing.insert(dependency, wanted);
            }
        }
    }
    let lines: Vec<String> = missing
        .iter()
        .map(|((name, version), features)| {
            let listed: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
            format!(
                "{name} = {{ version = \"{version}\", features = [{}] }}",
                listed.join(", ")
            )
        })
        .collect();
    assert!(
        lines.is_empty(),
        "these dependencies are built with other features than the tests' (a proc-macro's \
         dependency goes under [build-dependencies]); add them to shared/dev-build/Cargo.toml:\n{}",
        lines.join("\n")
    );
}
