"""The deployed build is the build the tests and the bench measure.

`make build` and `sam build` build the functions with `cargo lambda build
--release`, which fills in any of `strip`, `lto`, `codegen-units` and `panic`
that the workspace's `[profile.release]` leaves out, with choices of its own
(among them `panic = "abort"`, which would end the process on a handler's
panic instead of failing one invocation). The bench builds with plain
`cargo build --release`. This check fails unless the profile states all four,
so both builds use the same profile (cargo lambda adds only the target and
its CPU), and unless panics unwind (docs/decisions.md).

Run by `make checks`.
"""

import sys
import tomllib

MANIFEST = sys.argv[1] if len(sys.argv) > 1 else "Cargo.toml"
# What cargo-lambda sets when the profile does not.
FILLED_IN_BY_CARGO_LAMBDA = ("strip", "lto", "codegen-units", "panic")


def problems(manifest):
    release = manifest.get("profile", {}).get("release", {})
    found = [
        f'[profile.release] leaves out {key}: `cargo lambda build --release` would choose it'
        for key in FILLED_IN_BY_CARGO_LAMBDA
        if key not in release
    ]
    if release.get("panic", "unwind") != "unwind":
        found.append('[profile.release] panic must be "unwind": lambda_runtime fails one invocation on a panic')
    return found


def main():
    with open(MANIFEST, "rb") as file:
        found = problems(tomllib.load(file))
    for problem in found:
        print(f"{MANIFEST}: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"{MANIFEST}: the release profile states everything cargo lambda would otherwise choose")


if __name__ == "__main__":
    main()
