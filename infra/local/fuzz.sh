#!/usr/bin/env bash
# `make fuzz`: the contract checked as a whole. Validates infra/openapi.yaml
# as an OpenAPI 3.1 document, then runs schemathesis over it against a real
# `make run` on spare ports with a fresh data folder: every operation, with
# examples, coverage, fuzzing and stateful phases, bounded in examples
# (FUZZ_EXAMPLES per operation, default 12) and time. It fails on any 5xx,
# any answer off its documented status, content type, headers or schema,
# any 4xx that is not problem+json, and any schema-valid request refused
# without a documented reason. How it calls the service, and why:
# tests/fuzz/hooks.py and tests/fuzz/schemathesis.toml.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
local_dir=${CLIENTELE_LOCAL_DIR:-$root/.local}
fuzz=$local_dir/fuzz/bin

say() { printf 'fuzz: %s\n' "$*" >&2; }

say "validating infra/openapi.yaml"
"$fuzz/openapi-spec-validator" infra/openapi.yaml

# shellcheck source=infra/local/stack.sh
source infra/local/stack.sh
start_stack fuzz "${FUZZ_API_PORT:-19100}" "${FUZZ_DYNAMODB_PORT:-18100}" "${FUZZ_MOTO_PORT:-15150}"

token() { make --no-print-directory -s token ROLE="$1"; }
FUZZ_VIEWER_TOKEN=$(token viewer) FUZZ_STAFF_TOKEN=$(token staff) FUZZ_ADMIN_TOKEN=$(token admin)
export FUZZ_VIEWER_TOKEN FUZZ_STAFF_TOKEN FUZZ_ADMIN_TOKEN
export SCHEMATHESIS_HOOKS=$root/tests/fuzz/hooks.py

# One worker: with two, Python 3.11's ast module, which Hypothesis uses to
# describe its strategies, now and then fails from two threads at once
# ("AST constructor recursion depth mismatch"), an error of the fuzzer's own.
# The bound stops a run that hangs: its four phases take about 260 s here,
# and a busy machine takes longer.
max_seconds=${FUZZ_MAX_SECONDS:-600}
say "schemathesis over every operation, ${FUZZ_EXAMPLES:-12} examples each (at most ${max_seconds} s)"
status=0
timeout "$max_seconds" "$fuzz/schemathesis" --no-color --config-file tests/fuzz/schemathesis.toml \
    run infra/openapi.yaml --url "http://127.0.0.1:$api" \
    --checks all --max-examples "${FUZZ_EXAMPLES:-12}" --workers "${FUZZ_WORKERS:-1}" \
    --request-timeout 20 --suppress-health-check all --seed "${FUZZ_SEED:-20261202}" || status=$?
if ((status != 0)); then
    if ((status == 124)); then
        say "schemathesis did not finish within ${max_seconds} s (FUZZ_MAX_SECONDS); make run said:"
    else
        say "schemathesis found answers off the contract (above); make run said:"
    fi
    tail -40 "$stack_log" >&2
    exit 1
fi
say "every answer keeps the contract"
