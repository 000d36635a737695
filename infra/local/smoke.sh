#!/usr/bin/env bash
# Runs the README's tour and the docs' examples (every ```sh block after a
# <!-- smoke --> line, in README.md and then docs/*.md) against a real
# `make run` on spare ports with a fresh data folder, failing on any answer
# that is not a success. Keeps the README and the docs true.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
script=$(mktemp)

say() { printf 'smoke: %s\n' "$*" >&2; }

# Every step is bounded (timeout ends the step's whole process group), so
# that one that hangs fails the smoke, saying which and what make run said,
# rather than holding CI until its limit.
step_seconds=${SMOKE_STEP_SECONDS:-300}
bounded() { timeout --kill-after=10 "$step_seconds" "$@"; }

# shellcheck source=infra/local/stack.sh
source infra/local/stack.sh
start_stack smoke "${SMOKE_API_PORT:-19000}" "${SMOKE_DYNAMODB_PORT:-18000}" "${SMOKE_MOTO_PORT:-15050}"
stack_cleanup+=("$script")
log=$stack_log
# The step that failed (and whether it was cut off), and the end of what
# make run said.
fail() {
    local status=$?
    case $status in
    124) say "$* (cut off after ${step_seconds} s)" ;;
    28) say "$* (no answer within 60 s)" ;;
    *) say "$*" ;;
    esac
    say "make run said:"
    tail -40 "$log" >&2
    say "make run's processes:"
    ps -o pid,etimes,stat,args -s "$stack_session" >&2 || true
    exit 1
}

awk '/^<!-- smoke -->/ { take = 1; next }
     take && /^```sh/ { inside = 1; next }
     inside && /^```/ { inside = 0; take = 0; next }
     inside { print }' README.md docs/*.md | sed "s/127\.0\.0\.1:9000/127.0.0.1:$api/g" >"$script"
[ -s "$script" ] || { say "README.md has no <!-- smoke --> blocks"; exit 1; }

say "running $(grep -c '^curl' "$script") curl commands from README.md and docs/"
# The examples' `make` commands (make token, make import, ...) reach the
# same stack.
API_PORT="$api" DYNAMODB_PORT="$ddb" MOTO_PORT="$moto" bounded bash -euo pipefail -c '
    curl() { command curl --silent --show-error --fail-with-body --max-time 60 "$@"; echo; }
    export -f curl
    source "$1"' smoke "$script" || fail "the README's tour or a docs example failed"
say "the README's tour and the docs' examples work"

# The tour created a customer: its event reaches the local tap through
# the stream, the publisher and the bus, as `make events` shows.
say "waiting for customer.created to reach the local tap (make events)"
seen=""
deadline=$((SECONDS + 180))
while ((SECONDS < deadline)); do
    seen+=$(timeout 30 make --no-print-directory -s events MOTO_PORT="$moto" DYNAMODB_PORT="$ddb" 2>>"$log" || true)
    if grep -q '"detail-type":"customer.created"' <<<"$seen"; then
        say "make events shows the tour's events"
        break
    fi
    sleep 1
done
if ! grep -q '"detail-type":"customer.created"' <<<"$seen"; then
    tail -20 "${CLIENTELE_LOCAL_DIR:-$root/.local}/logs/stream.log" >&2 2>/dev/null || true
    fail "no customer.created event reached the local tap in 180 s"
fi

# The clientele command imports and exports through the API: a row
# refused, a row created, and the same file again creating nothing twice.
say "make import and make export, through the API"
import_file=$(mktemp --suffix .csv) export_file=$(mktemp --suffix .ndjson)
stack_cleanup+=("$import_file" "$export_file")
printf '%s\n' 'user_id,full_name,email,gender,tags' \
    '5b9e7c1a-3d2f-4e8b-a6c4-0f1e2d3c4b01,Imported Once,imported.once@example.com,female,smoke;imported' \
    '5b9e7c1a-3d2f-4e8b-a6c4-0f1e2d3c4b02,Never Imported,not-an-email,male,' >"$import_file"
local_make() { bounded make --no-print-directory -s "$@" API_PORT="$api" MOTO_PORT="$moto" DYNAMODB_PORT="$ddb"; }
first=$(local_make import FILE="$import_file") || fail "make import failed: $first"
grep -q ": 2 rows: 1 created, 0 existing, 1 refused$" <<<"$first" || { say "make import said: $first"; exit 1; }
grep -q "^line 3: refused: email: " <<<"$first" || { say "make import did not say why line 3 was refused: $first"; exit 1; }
again=$(local_make import FILE="$import_file") || fail "make import again failed: $again"
grep -q ": 2 rows: 0 created, 1 existing, 1 refused$" <<<"$again" || { say "make import again said: $again"; exit 1; }
grep -q "^line 2: existing: customer " <<<"$again" || { say "make import again did not name the customer: $again"; exit 1; }
local_make export OUT="$export_file" || fail "make export failed"
grep -q '"email":"imported.once@example.com"' "$export_file" || { say "the export lacks the imported customer"; exit 1; }
say "make import created a row once and refused a bad one; make export wrote it out"

# The stored data is brought to this version's form, as after a deployment;
# a second run finds nothing to do.
say "make migrate over the tour's data"
local_make migrate >&2 || fail "make migrate failed"
again=$(local_make migrate) || fail "a second make migrate failed"
grep -q "nothing to do" <<<"$again" || { say "a second make migrate still had work: $again"; exit 1; }
say "make migrate brought the tour's data to this version, and a second run had nothing to do"

# The API reference page is served at /docs, and GET / links to it.
page=$(command curl --silent --show-error --fail --max-time 60 "http://127.0.0.1:$api/docs") || fail "no page at /docs"
grep -q "Redoc" <<<"$page" || { say "/docs is not the API reference page"; exit 1; }
root_answer=$(command curl --silent --show-error --fail --max-time 60 "http://127.0.0.1:$api/") || fail "no answer at /"
grep -q '"reference":"/docs"' <<<"$root_answer" || { say "GET / does not link to /docs: $root_answer"; exit 1; }
say "make run serves the API reference page at /docs"

# Demo data in bulk, as `make seed` fills the stack; checked with the rest.
local_make seed N=30 >&2 || fail "make seed failed"

# What must hold of the whole table holds after the tour.
say "make invariants over the tour's and the seed's data"
local_make invariants >&2 || fail "the table does not hold together"
say "the tour's and the seed's data hold together"
