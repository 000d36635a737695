#!/usr/bin/env bash
# `make bench`: each function's cold start, warm latency and peak memory,
# measured and printed as a table. It prints figures; it passes or fails on
# nothing but a function that does not answer its event as it should.
#
# 1. Builds every function in release mode (the Lambda build's profile: fat
#    LTO, one codegen unit, stripped) for this machine's architecture, into
#    $CARGO_TARGET_DIR (default target/), with the two floors of
#    bench/baselines in the same build: `hello` (a bare lambda_http function)
#    and `ddb-get` (the SDK's default configuration, a DynamoDB client, one
#    warming GetItem during init and one GetItem a request).
# 2. Starts DynamoDB Local (in memory) and moto on 127.0.0.1 on spare ports,
#    and creates the local stack with `clientele local-setup`, as `make run`
#    does, demo customer and demo client included.
# 3. Runs each binary BENCH_COLD times (default 3) under bench/runtime_api.py,
#    a minimal Lambda Runtime API on 127.0.0.1, with the environment Lambda
#    and infra/template.yaml give it, and hands it one event 1 + BENCH_WARM
#    times (default 20): the first invocation is the cold start. The runs
#    interleave: each round starts every binary once, in turn (A B C A B C),
#    so that a machine that speeds up or slows down favours none. Route
#    functions get events/<function>/*.json, which carry the authorizer
#    context API Gateway passes on (JWT_SECRET_ID is unset, as in the cloud,
#    so they trust it). The publisher gets a full batch of 100 outbox events,
#    published to a bus of its own with no rule (a rule's target would pile
#    the events up in moto, which slows as they do).
#    The times of every function include the local services' answers.
#
# Columns: the stripped binary's size; init (process start -> the runtime's
# first `next`: SDK setup, secrets, the first DynamoDB connection), its median
# and its range over the cold starts; first
# response (process start -> the first answer: the cold start as a caller
# sees it, minus Lambda's own sandbox start and code download); the median of
# the warm invocations; peak RSS (VmHWM) after every invocation; the AWS
# calls of a warm invocation (median), counted from the X-Ray subsegments the
# function sends (every invocation is sampled; each attempt of each call is
# one). Medians over
# the cold starts; peak RSS is the highest seen. CPU: the time the process ran
# on a CPU by its first response (cold) and per warm invocation (mean), from
# /proc/<pid>/task/*/schedstat: what Lambda's memory-proportional CPU share
# stretches (1,769 MB buys one vCPU; 128 MB about 7% of one).
# A second table gives every figure as a ratio to ddb-get's in the same run,
# which means the same on any machine; a third names each function's AWS
# calls, cold and warm.
#
# 4. Runs every route, warm (bench/routes.py): every route and event
#    function at once, DynamoDB reached through a metering proxy
#    (bench/dynamodb_meter.py), each route in an order in which it succeeds,
#    BENCH_ROUTES rounds (default 3; 0 skips), each round with a customer of
#    its own. A table gives each route's CPU, AWS calls, DynamoDB read, write
#    and index units, outbox events and logged bytes, and what a million
#    such requests cost on AWS (bench/prices.py); a second, where that money
#    goes.
#
# A last row measures gdpr again after the notes function has given the demo
# customer BENCH_GDPR_NOTES notes of 500 characters (default 4400: an export
# of about 5.1 MB, just under GDPR_INLINE_EXPORT_BYTES, 5 MiB, the largest
# answered inline), as an export holds all of a customer's items at once: the
# one function whose memory grows with the data.
#
# Usage: bench/cold-start.sh [function ...]   (default: every function; the
#   baselines always)
#   BENCH_COLD=3 BENCH_WARM=20 BENCH_ROUTES=3 BENCH_GDPR_NOTES=4400 as above; BENCH_BUILD=0
#   uses the binaries already built. BENCH_BEFORE=<folder> compares with the
#   binaries of another build in that folder (same names): each round runs
#   a function's binary before, then after, and each gets a row. Needs
#   JWT_SIGNING_KEY (make bench sets the local key) and `make tools`.
#   Function logs go to .local/logs/bench/.
# Every server is stopped, by its process id, on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
local_dir=${CLIENTELE_LOCAL_DIR:-$root/.local}
target=${CARGO_TARGET_DIR:-$root/target}
cargo=${CARGO:-cargo}
cold=${BENCH_COLD:-3}
warm=${BENCH_WARM:-20}
large=${BENCH_GDPR_NOTES:-4400}
work=$(mktemp -d)
logs=$local_dir/logs/bench
mkdir -p "$logs"
: "${JWT_SIGNING_KEY:?set JWT_SIGNING_KEY (the Makefile sets the local key)}"

say() { printf 'bench: %s\n' "$*" >&2; }

baselines=(hello ddb-get)
all=(customers tags notes contacts interactions tokens users subscriptions gdpr service auth-check publisher inbound sweeper transfers renewals)
if (($# > 0)); then functions=("$@"); else functions=("${all[@]}"); fi
# The floors every function is measured against, in the same run.
for baseline in "${baselines[@]}"; do
    [[ " ${functions[*]} " == *" $baseline "* ]] || functions=("$baseline" "${functions[@]}")
done
python=$local_dir/venv/bin/python
if [[ ! -x $python || ! -f $local_dir/dynamodb/DynamoDBLocal.jar ]]; then
    say "the local tools are missing: run make tools (make bench does)"
    exit 1
fi

pids=()
stop() {
    trap - EXIT
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. Build -------------------------------------------------------------

packages=(-p bench-baselines)
for function in "${functions[@]}"; do
    [[ " ${baselines[*]} " == *" $function "* ]] || packages+=(-p "$function")
done
if [[ " ${functions[*]} " == *" gdpr "* && " ${functions[*]} " != *" notes "* ]]; then
    packages+=(-p notes) # it makes the large export
fi
if [[ ${BENCH_BUILD:-1} != 0 ]]; then
    say "building ${packages[*]} (release, $(uname -m)) into $target; the CLI (debug) for the setup"
    "$cargo" build --release --locked "${packages[@]}"
    "$cargo" build --quiet --locked -p clientele-cli --features clientele-startup/dev-build
fi

# ---- 2. The local stack -----------------------------------------------------

listening() { # <log file> <name>: the host:port a server reports
    for _ in $(seq 1 300); do
        if address=$(sed -n 's/^listening //p' "$1" 2>/dev/null) && [[ -n $address ]]; then
            echo "$address"
            return 0
        fi
        sleep 0.2
    done
    say "$2 did not start; see $1"
    exit 1
}

infra/local/dynamodb.sh 0 >"$logs/dynamodb.log" 2>&1 &
pids+=($!)
"$python" infra/local/moto_loopback.py 0 >"$logs/moto.log" 2>&1 &
pids+=($!)
dynamodb=$(listening "$logs/dynamodb.log" "DynamoDB Local")
moto=$(listening "$logs/moto.log" "moto")
say "DynamoDB Local on $dynamodb, moto on $moto"

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://$moto"
export AWS_ENDPOINT_URL_DYNAMODB="http://$dynamodb"
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://$dynamodb"
export TABLE_NAME=clientele EVENT_BUS_NAME=clientele JWT_SECRET_ID=clientele/jwt-signing-key
export AVATAR_BUCKET=clientele-avatars EVENT_SOURCE=clientele.customers
"$target/debug/clientele" local-setup >"$logs/setup.log"
dead_letters=$(sed -n 's/^dead-letter queue: //p' "$logs/setup.log")
data_responses=$(sed -n 's/^data responses queue: //p' "$logs/setup.log")
# The publisher's own bus: no rule, so nothing piles up behind PutEvents.
publisher_bus=clientele-bench
"$python" -c 'import boto3, sys
boto3.client("events", endpoint_url=sys.argv[1], region_name="us-east-1").create_event_bus(Name=sys.argv[2])' "$AWS_ENDPOINT_URL" "$publisher_bus"

# ---- 3. Each function -----------------------------------------------------

# What Lambda's sandbox sets (provided.al2023, JSON logs at INFO as the
# template asks), and what reaches the local services.
base_env=(
    PATH=/usr/local/bin:/usr/bin:/bin LANG=en_US.UTF-8 TZ=:UTC
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
    AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" AWS_ENDPOINT_URL_DYNAMODB="$AWS_ENDPOINT_URL_DYNAMODB"
    AWS_LAMBDA_FUNCTION_VERSION='$LATEST' AWS_LAMBDA_INITIALIZATION_TYPE=on-demand
    AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=INFO
)

spec() { # <function>: its event, its variables (as in infra/template.yaml), what to vary
    vary=()
    case $1 in
        hello) event=events/service/health.json; vars=() ;;
        ddb-get) event=events/customers/get.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        customers) event=events/customers/get.json
            vars=(TABLE_NAME="$TABLE_NAME" AVATAR_BUCKET="$AVATAR_BUCKET") ;;
        tags) event=events/tags/list-of.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        notes) event=events/notes/list.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        contacts) event=events/contacts/of-customer.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        interactions) event=events/interactions/of-customer.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        tokens) event=events/tokens/balance.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        users) event=events/users/of-customer.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        subscriptions) event=events/subscriptions/plans.json; vars=(TABLE_NAME="$TABLE_NAME") ;;
        gdpr) event=events/gdpr/export.json
            vars=(TABLE_NAME="$TABLE_NAME" AVATAR_BUCKET="$AVATAR_BUCKET" GDPR_INLINE_EXPORT_BYTES=5242880) ;;
        service) event=events/service/health.json; vars=() ;;
        auth-check) event=events/auth-check/client-active.json
            vars=(TABLE_NAME="$TABLE_NAME" JWT_SECRET_ID="$JWT_SECRET_ID") ;;
        publisher) event=$work/publisher-batch.json
            vars=(EVENT_BUS_NAME="$publisher_bus" EVENT_SOURCE="$EVENT_SOURCE" DEAD_LETTER_QUEUE_URL="$dead_letters") ;;
        inbound) event=events/inbound/order-completed.json
            # A new order every time: a repeated one is only a duplicate check.
            vary=(--vary /id --vary /detail/orderId)
            vars=(TABLE_NAME="$TABLE_NAME" EVENT_SOURCE="$EVENT_SOURCE" CUSTOMER_PATCH_RATE=5/minute
                DATA_REQUESTERS="{\"platform.profiles\": {\"fields\": [\"id\", \"email\"], \"deliver_to\": \"$data_responses\"}}") ;;
        sweeper) event=events/sweeper/tombstone.json
            vars=(TABLE_NAME="$TABLE_NAME" AVATAR_BUCKET="$AVATAR_BUCKET") ;;
        transfers) event=events/transfers/job.json
            vars=(TABLE_NAME="$TABLE_NAME" AVATAR_BUCKET="$AVATAR_BUCKET") ;;
        renewals) event=events/renewals/scheduled.json; vars=(TABLE_NAME="$TABLE_NAME" AUDIT_RETENTION_DAYS=365) ;;
        *) say "no such function: $1 (one of ${all[*]}, or a baseline: ${baselines[*]})"; exit 1 ;;
    esac
}

memory_of() { # <function>: its MemorySize in infra/template.yaml (Globals' unless its own)
    awk -v f="$1" 'BEGIN { FS = ": *" }
        /^  [A-Za-z]+:$/ { name = $1; gsub(/[ :]/, "", name) }
        /^      MemorySize:/ && name != "" { sizes[name] = $2 }
        /^    MemorySize:/ { global = $2 }
        END { n = f; gsub(/-/, "", n); m = global
              for (k in sizes) if (tolower(k) == n "function") m = sizes[k]
              print m }' infra/template.yaml
}

environment_of() { # <function>: its environment, a NAME=value a line, as Lambda and the template give it
    spec "$1"
    printf '%s\n' "${base_env[@]}" "${vars[@]}" \
        AWS_LAMBDA_FUNCTION_NAME="clientele-$1" AWS_LAMBDA_FUNCTION_MEMORY_SIZE="$(memory_of "$1")" \
        AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/clientele-$1" \
        AWS_LAMBDA_LOG_STREAM_NAME="2026/11/25/[\$LATEST]bench"
}

invoke() { # <function> <event> <invocations> <output> <log> [runtime_api.py options]: one process, from cold
    local function=$1 event=$2 count=$3 output=$4 log=$5 binary=${binary:-$target/release/$1} environment
    shift 5
    mapfile -t environment < <(environment_of "$function")
    env -i "${environment[@]}" \
        "$python" bench/runtime_api.py --event "$event" --invocations "$count" "$@" \
        -- "$binary" >>"$output" 2>"$log" &
    pids+=($!)
    wait $! || true
    unset 'pids[-1]' # it has ended (and has stopped its function)
}

prepare() { # <row> <function>: a row to measure (and its row before, with BENCH_BEFORE)
    local row=$1 function=$2
    local before=${BENCH_BEFORE:+$BENCH_BEFORE/$function}
    [[ -n $before && ! -x $before ]] && before=""
    echo "$function" >"$work/$row.function"
    stat -c %s "$target/release/$function" >"$work/$row.size"
    if [[ -n $before ]]; then
        echo "$function" >"$work/$row-before.function"
        stat -c %s "$before" >"$work/$row-before.size"
        rows+=("$row-before")
        plan+=("$row-before $function $before")
    fi
    rows+=("$row")
    plan+=("$row $function $target/release/$function")
}

measure() { # BENCH_COLD rounds; in each, every planned row in turn (A B C A B C), so drift favours none
    local round entry row function binary
    for round in $(seq 1 "$cold"); do
        for entry in "${plan[@]}"; do
            read -r row function binary <<<"$entry"
            spec "$function"
            say "$row: cold start $round of $cold, then $warm warm invocations"
            binary=$binary invoke "$function" "$event" $((warm + 1)) "$work/$row.runs" \
                "$logs/$row-$round.log" "${vary[@]}"
        done
    done
    plan=()
}

# The publisher gets a full batch (the event source mapping's BatchSize, 100)
# of outbox events: bench/publisher-stream.json's record, each with its own id.
"$python" - bench/publisher-stream.json "$work/publisher-batch.json" <<'PY'
import copy, json, sys
event = json.load(open(sys.argv[1]))
record, event["Records"] = event["Records"][0], []
for n in range(100):
    copied = copy.deepcopy(record)
    stream, image = copied["dynamodb"], copied["dynamodb"]["NewImage"]
    old_id, new_id = image["event_id"]["S"], image["event_id"]["S"][:-4] + f"{n:04x}"
    for item in (stream["Keys"], image):
        item["sk"]["S"] = item["sk"]["S"].replace(old_id, new_id)
    image["event_id"]["S"] = new_id
    image["detail"]["S"] = image["detail"]["S"].replace(old_id, new_id)
    stream["SequenceNumber"] = str(int(stream["SequenceNumber"]) + n)
    copied["eventID"] = f"{copied['eventID'][:-4]}{n:04x}"
    event["Records"].append(copied)
json.dump(event, open(sys.argv[2], "w"))
PY

rows=() plan=()
for function in "${functions[@]}"; do
    prepare "$function" "$function"
done
measure

# Every route, warm: bench/routes.py starts every route and event function
# at once, with DynamoDB behind its metering proxy, and walks each route in
# turn, BENCH_ROUTES rounds (default 3; 0 skips), each with a customer of its own.
route_rounds=${BENCH_ROUTES:-3}
route_binaries=()
for function in "${functions[@]}"; do
    case $function in
        hello | sweeper | transfers | renewals) ;; # no route of their own: the first table has them
        *)
            environment_of "$function" >"$work/$function.env"
            route_binaries+=("$function=$target/release/$function")
            ;;
    esac
done
if ((route_rounds > 0 && ${#route_binaries[@]} > 0)); then
    say "every route: $route_rounds rounds"
    "$python" bench/routes.py --work "$work" --events events --dynamodb "$dynamodb" --logs "$logs" \
        --rounds "$route_rounds" "${route_binaries[@]}" >"$work/routes.txt" || routes_failed=1
fi

# The one function whose memory grows with the data: a GDPR export holds all
# of a customer's items at once. BENCH_GDPR_NOTES notes of 500 characters
# (default 4400: an export of about 5.1 MB) make the demo customer large; 0 skips.
if ((large > 0)) && [[ " ${functions[*]} " == *" gdpr "* ]]; then
    "$python" - "$work/note.json" <<'PY'
import json, sys
event = json.load(open("events/notes/add.json"))
text = "Called back about the renewal; wants a quote for the annual plan and a visit next week. "
event["body"] = json.dumps({"content": (text * 10)[:500]})
json.dump(event, open(sys.argv[1], "w"))
PY
    say "gdpr-large: adding $large notes of 500 characters to the demo customer"
    invoke notes "$work/note.json" "$large" "$work/seed.json" "$logs/seed.log"
    if ! "$python" -c 'import json, sys
run = json.load(open(sys.argv[1]))
sys.exit("error" in run or not 200 <= json.loads(run["first_answer"]).get("statusCode", 0) < 300)' "$work/seed.json"; then
        say "adding notes failed: $(head -c 400 "$work/seed.json"); see $logs/seed.log"
        exit 1
    fi
    prepare gdpr-large gdpr
    measure
fi

# ---- 4. The table -----------------------------------------------------------

say "$(uname -m), $(nproc) CPUs ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1)), $("$cargo" --version)"
"$python" - "$work" "${rows[@]}" <<'PY' || tables_failed=1
import json, statistics, sys

work, rows_measured = sys.argv[1], sys.argv[2:]


def verdict(function, answer):
    """Whether the first answer is the success the event asks for."""
    try:
        body = json.loads(answer)
    except ValueError:
        return f"not JSON: {answer[:80]}"
    if function == "auth-check":
        return "ok" if body.get("isAuthorized") and body.get("context", {}).get("kind") == "client" else f"refused: {answer[:120]}"
    if function == "renewals":
        return "ok" if body.get("failed") == 0 else f"failed: {answer[:120]}"
    if function in ("publisher", "sweeper", "transfers"):  # the stream functions: a batch response
        return "ok" if body.get("batchItemFailures") == [] else f"failures: {answer[:120]}"
    if function == "inbound":
        return "ok" if body is None else f"answered {answer[:120]}"
    status = body.get("statusCode", 0)
    return "ok" if 200 <= status < 300 else f"HTTP {status}: {body.get('body', '')[:120]}"


def table(rows, left=(0,)):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = (str(c).ljust(w) if i in left or i == len(row) - 1 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths)))
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


FIGURES = ("binary bytes", "init ms", "first response ms", "warm median ms", "cold CPU ms", "warm CPU ms", "peak RSS MiB")
figures, calls, failed = {}, {}, False
main = [("function", "binary bytes", "init ms", "init range", "first response ms", "first range", "warm median ms",
         "cold CPU ms", "warm CPU ms", "peak RSS MiB", "AWS calls", "check")]
for row in rows_measured:
    function = open(f"{work}/{row}.function").read().strip()
    size = int(open(f"{work}/{row}.size").read().strip())
    runs = [json.loads(line) for line in open(f"{work}/{row}.runs")]
    warm = all(r["warm_ms"] for r in runs)
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        main.append((row, size, *["-"] * 9, errors[0][:120]))
        failed = True
        continue
    check = verdict(function, runs[0]["first_answer"])
    failed |= check != "ok"
    label = row
    if row.startswith("gdpr-large"):  # the large export: how large, and the response Lambda returns for it
        exported = len(json.loads(runs[0]["first_answer"]).get("body", "").encode())
        label = f"{row} ({exported / 1e6:.1f} MB export, {len(runs[0]['first_answer'].encode()) / 1e6:.1f} MB response)"
    warm_calls = [c for r in runs for c in r["calls"][1:]]
    figures[row] = dict(zip(FIGURES, (
        size,
        statistics.median(r["init_ms"] for r in runs),
        statistics.median(r["first_ms"] for r in runs),
        statistics.median(ms for r in runs for ms in r["warm_ms"]) if warm else None,
        statistics.median(r["cold_cpu_ms"] for r in runs),
        statistics.median((r["cpu_ms"] - r["cold_cpu_ms"]) / len(r["warm_ms"]) for r in runs) if warm else None,
        max(r["peak_rss_kib"] for r in runs) / 1024,
    )))
    calls[row] = (runs[0]["calls"][0], warm_calls[-1] if warm_calls else [])
    f = figures[row]
    main.append((
        label, size,
        f"{f['init ms']:.1f}", f"{min(r['init_ms'] for r in runs):.1f}–{max(r['init_ms'] for r in runs):.1f}",
        f"{f['first response ms']:.1f}", f"{min(r['first_ms'] for r in runs):.1f}–{max(r['first_ms'] for r in runs):.1f}",
        f"{f['warm median ms']:.2f}" if warm else "-",
        f"{f['cold CPU ms']:.1f}",
        f"{f['warm CPU ms']:.2f}" if warm else "-",
        f"{f['peak RSS MiB']:.1f}",
        f"{statistics.median(len(c) for c in warm_calls):g}" if warm_calls else "0",
        check,
    ))
table(main)

# The same figures as ratios to the SDK floor (ddb-get), measured in the
# same run: a ratio means the same on any machine.
floor = figures.get("ddb-get")
if floor:
    print(f"\nratios to ddb-get (× of its figure; hello's row is the floor below it)")
    ratios = [("function",) + FIGURES]
    for row, f in figures.items():
        ratios.append((row,) + tuple(
            f"{f[k] / floor[k]:.2f}" if f[k] is not None and floor[k] else "-" for k in FIGURES))
    table(ratios)

# What each function calls on AWS: its first (cold) invocation and a warm one.
print("\nAWS calls of one invocation (X-Ray subsegments: retries count)")
listed = [("function", "cold", "warm")]
for row, (cold_calls, warm_calls) in calls.items():
    say = lambda c: ", ".join(f"{n} ×{c.count(n)}" if c.count(n) > 1 else n for n in dict.fromkeys(c)) or "none"
    listed.append((row, say(cold_calls), say(warm_calls)))
table(listed, left=(0, 1))
sys.exit(1 if failed else 0)
PY
if [[ -f $work/routes.txt ]]; then cat "$work/routes.txt"; fi
((${tables_failed:-0} == 0 && ${routes_failed:-0} == 0))
