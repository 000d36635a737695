#!/usr/bin/env bash
# `make run`: the whole service on this machine.
#
# Starts DynamoDB Local and moto on 127.0.0.1, creates the table, event bus and
# signing secret from infra/template.yaml, serves every function with
# `cargo lambda watch` on http://127.0.0.1:$API_PORT with the real paths
# (several instances of each route function, built once), and
# feeds the table's stream to the publisher, whose events reach a local queue
# that `make events` prints.
# Data persists in .local/data (`make reset` wipes it). Ctrl-C stops
# everything this script started, by process id.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
local_dir=${CLIENTELE_LOCAL_DIR:-$root/.local}
data=${CLIENTELE_DATA_DIR:-$local_dir/data}
logs=$local_dir/logs
mkdir -p "$data/dynamodb" "$logs"

: "${API_PORT:=9000}" "${DYNAMODB_PORT:=8000}" "${MOTO_PORT:=5050}"
: "${TABLE_NAME:=clientele}" "${EVENT_BUS_NAME:=clientele}" "${JWT_SECRET_ID:=clientele/jwt-signing-key}"
: "${AVATAR_BUCKET:=clientele-avatars}" "${EVENT_SOURCE:=clientele.customers}"
: "${LOCAL_EVENTS_QUEUE:=clientele-local-events}" "${DEAD_LETTER_QUEUE_NAME:=clientele-publisher-dead-letters}"
: "${DATA_RESPONSES_QUEUE_NAME:=clientele-data-responses}"
: "${JWT_SIGNING_KEY:?set JWT_SIGNING_KEY (the Makefile sets the local key)}"

say() { printf 'run: %s\n' "$*" >&2; }

for port in "$API_PORT" "$DYNAMODB_PORT" "$MOTO_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        say "port $port on 127.0.0.1 is taken; choose others with API_PORT, DYNAMODB_PORT, MOTO_PORT"
        exit 1
    fi
done

pids=()
stop() {
    trap - EXIT INT TERM
    say "stopping"
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

wait_for() { # <log file> <name>
    for _ in $(seq 1 300); do
        if grep -q '^listening ' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    say "$2 did not start; see $1"
    exit 1
}

infra/local/dynamodb.sh "$DYNAMODB_PORT" "$data/dynamodb" >"$logs/dynamodb.log" 2>&1 &
pids+=($!)
"$local_dir/venv/bin/python" infra/local/moto_loopback.py "$MOTO_PORT" >"$logs/moto.log" 2>&1 &
pids+=($!)
wait_for "$logs/dynamodb.log" "DynamoDB Local"
wait_for "$logs/moto.log" "moto"

# The functions reach the local services through the SDK's standard variables only.
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$DYNAMODB_PORT"
export TABLE_NAME EVENT_BUS_NAME JWT_SECRET_ID AVATAR_BUCKET EVENT_SOURCE LOCAL_EVENTS_QUEUE DEAD_LETTER_QUEUE_NAME
export DATA_RESPONSES_QUEUE_NAME
export AWS_LAMBDA_LOG_LEVEL=${AWS_LAMBDA_LOG_LEVEL:-INFO}

# One build of every function and the command, with the features the tests
# use (shared/dev-build), so that cargo lambda watch and the tests reuse it.
dev_build=(--features clientele-startup/dev-build)
say "building every function (the first time takes several minutes; later runs reuse the build)"
cargo build --quiet --locked --workspace --bins "${dev_build[@]}"
clientele=${CARGO_TARGET_DIR:-$root/target}/debug/clientele
"$clientele" local-setup | tee "$logs/setup.log"
unset JWT_SIGNING_KEY
DEAD_LETTER_QUEUE_URL=$(sed -n 's/^dead-letter queue: //p' "$logs/setup.log")
export DEAD_LETTER_QUEUE_URL
# Who is answered, with which customer fields, and where the answers go:
# platform.profiles (customer.data.request) and platform.accounting
# (accounting.customer.request), both answered on a local queue
# (`make events QUEUE=clientele-data-responses` prints it).
if [[ -z "${DATA_REQUESTERS:-}" ]]; then
    answers=$(sed -n 's/^data responses queue: //p' "$logs/setup.log")
    DATA_REQUESTERS=$(printf '{"platform.profiles": {"fields": ["id", "full_name", "email", "customer_type", "status"], "deliver_to": "%s"}, "platform.accounting": {"deliver_to": "%s", "service": "accounting-service"}}' "$answers" "$answers")
fi
export DATA_REQUESTERS
# The API reference page, served at /docs (`make docs` writes the same file
# to publish).
"$local_dir/checks/bin/python" "$root/infra/docs/reference.py" build \
    "$local_dir/redoc/redoc.standalone.js" "$local_dir/docs/index.html" >&2
export API_REFERENCE_PAGE=$local_dir/docs/index.html

# cargo lambda watch emulates Lambda's APIs and routes HTTP requests by the
# template's routes (clientele local-router); the functions themselves run
# from the build above (clientele local-functions): two instances of each
# route function, so that requests made at once are served at once, each
# restarted if it stops. Code changes take a restart of `make run`.
"$clientele" local-router >"$local_dir/router.toml"
"$local_dir/venv/bin/cargo-lambda" lambda watch --only-lambda-apis --ignore-changes \
    --invoke-address 127.0.0.1 --invoke-port "$API_PORT" \
    --global "$local_dir/router.toml" &
pids+=($!)
"$clientele" local-functions --port "$API_PORT" --instances "${LOCAL_INSTANCES:-2}" &
pids+=($!)

# Lambda's event source mappings, locally: the stream to the publisher and the sweeper.
"$clientele" local-stream --port "$API_PORT" --state "$data" >"$logs/stream.log" 2>&1 &
pids+=($!)

say "serving http://127.0.0.1:$API_PORT (DynamoDB Local :$DYNAMODB_PORT, moto :$MOTO_PORT); logs in $logs"
say "try: curl http://127.0.0.1:$API_PORT/health"
say "     curl -H \"Authorization: Bearer \$(make -s token)\" http://127.0.0.1:$API_PORT/api/customers/"
say "     make events    # what the service published"

# Stop everything as soon as any part stops.
wait -n "${pids[@]}"
