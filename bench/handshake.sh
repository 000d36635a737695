#!/usr/bin/env bash
# The client's side of a TLS handshake (bench/handshake) built twice, with
# the TLS crates (aws-lc, rustls, webpki) at opt-level 3 and at "s", and run
# in turn ROUNDS times (default 5): whether building them for size slows the
# handshake every cold start in the cloud makes. Prints each run and the
# medians' ratio. Release builds, in target/handshake-<level>/.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A root, an intermediate and a leaf for dynamodb.localhost, RSA-2048 each,
# as AWS's endpoints present theirs.
certs() {
    local ca=(-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign")
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/root.key" -out "$work/root.pem" -days 2 \
        -subj "/CN=bench root" "${ca[@]}" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$work/mid.key" -out "$work/mid.csr" -subj "/CN=bench intermediate" 2>/dev/null
    openssl x509 -req -in "$work/mid.csr" -CA "$work/root.pem" -CAkey "$work/root.key" -CAcreateserial \
        -out "$work/mid.pem" -days 2 \
        -extfile <(printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n') 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/leaf.csr" -subj "/CN=dynamodb.localhost" 2>/dev/null
    openssl x509 -req -in "$work/leaf.csr" -CA "$work/mid.pem" -CAkey "$work/mid.key" -CAcreateserial \
        -out "$work/leaf.pem" -days 2 \
        -extfile <(printf 'subjectAltName=DNS:dynamodb.localhost\nextendedKeyUsage=serverAuth\n') 2>/dev/null
    cat "$work/leaf.pem" "$work/mid.pem" >"$work/chain.pem"
}

build() {
    local level=$1 config=()
    if [[ $level == s ]]; then
        for crate in aws-lc-sys aws-lc-rs rustls rustls-webpki; do
            config+=(--config "profile.release.package.$crate.opt-level=\"s\"")
        done
    fi
    echo "handshake: building with the TLS crates at opt-level $level" >&2
    CARGO_TARGET_DIR="target/handshake-$level" "${CARGO:-cargo}" build --quiet --locked --release -p bench-handshake "${config[@]}"
}

certs
build 3
build s
for level in 3 s; do
    printf 'tls-handshake at %s: %s bytes\n' "$level" "$(stat -c %s "target/handshake-$level/release/tls-handshake")"
done
declare -A runs
for ((round = 1; round <= rounds; round++)); do
    for level in 3 s; do
        line=$("target/handshake-$level/release/tls-handshake" "$work")
        echo "round $round, opt-level $level: $line"
        runs[$level]+="$(sed -E 's/.*median ([0-9.]+) us.*/\1/' <<<"$line") "
    done
done
python3 - "${runs[3]}" "${runs[s]}" <<'PY'
import statistics, sys
three, size = ([float(x) for x in arg.split()] for arg in sys.argv[1:])
m3, ms = statistics.median(three), statistics.median(size)
print(f"median of medians: opt-level 3 {m3:.1f} us, \"s\" {ms:.1f} us: \"s\" takes {ms / m3:.2f}x")
PY
