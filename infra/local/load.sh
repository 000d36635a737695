#!/usr/bin/env bash
# `make load`: a bounded load against a real `make run` on spare ports with a
# fresh data folder: LOAD_CLIENTS clients over LOAD_BUSINESSES businesses
# make mixed requests for LOAD_SECONDS (tests/src/load.rs says what must
# hold, and the driver prints throughput and latency percentiles); then the
# invariant checker (`make invariants`) over what the load left.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

say() { printf 'load: %s\n' "$*" >&2; }

# shellcheck source=infra/local/stack.sh
source infra/local/stack.sh
start_stack load "${LOAD_API_PORT:-19200}" "${LOAD_DYNAMODB_PORT:-18200}" "${LOAD_MOTO_PORT:-15250}"

target=${CARGO_TARGET_DIR:-$root/target}
: "${JWT_SIGNING_KEY:?set JWT_SIGNING_KEY (the Makefile sets the local key)}"
if ! LOAD_URL="http://127.0.0.1:$api" "$target/debug/clientele-load"; then
    say "the load found what must not happen (above); make run said:"
    grep -v ' INFO' "$stack_log" | tail -40 >&2
    exit 1
fi

say "the invariant checker over what the load left"
make --no-print-directory -s invariants MOTO_PORT="$moto" DYNAMODB_PORT="$ddb" >&2 || { say "the table does not hold together"; exit 1; }
say "the table holds together"
