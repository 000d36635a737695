# Sourced by the stages that run against a real `make run` (smoke.sh,
# fuzz.sh, load.sh): `start_stack <name> <api port> <dynamodb port> <moto port>`
# starts it on those ports of 127.0.0.1 with a fresh data folder, in a
# session of its own, waits until it answers, and stops it (Ctrl-C to that
# session, by its process id; killed if it has not stopped in 30 s) when the
# calling script exits.
# Sets: api, ddb, moto (the ports), stack_log (what make run said).

stack_say() { printf '%s: %s\n' "$stack_name" "$*" >&2; }

stop_stack() {
    if [[ -n "${stack_session:-}" ]]; then
        kill -INT -- "-$stack_session" 2>/dev/null || true
        # make run stops its parts on Ctrl-C; one that does not within
        # 30 s is killed, so that a stuck part cannot hold the caller.
        for _ in $(seq 1 60); do
            kill -0 "$stack_session" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$stack_session" 2>/dev/null || true
        wait "$stack_session" 2>/dev/null || true
    fi
    rm -rf "${stack_data:-}" "${stack_cleanup[@]}"
}

start_stack() { # <name> <api port> <dynamodb port> <moto port>
    stack_name=$1 api=$2 ddb=$3 moto=$4
    stack_data=$(mktemp -d)
    stack_log=$(mktemp)
    stack_cleanup=("$stack_log")
    trap stop_stack EXIT
    CLIENTELE_DATA_DIR=$stack_data setsid make --no-print-directory run \
        API_PORT="$api" DYNAMODB_PORT="$ddb" MOTO_PORT="$moto" >"$stack_log" 2>&1 &
    stack_session=$!
    stack_say "waiting for make run on 127.0.0.1:$api"
    for _ in $(seq 1 600); do
        if curl -sf "http://127.0.0.1:$api/health" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$stack_session" 2>/dev/null; then
            cat "$stack_log" >&2
            stack_say "make run stopped"
            exit 1
        fi
        sleep 0.5
    done
    cat "$stack_log" >&2
    stack_say "no answer on /health"
    exit 1
}
