#!/usr/bin/env bash
# `make reference`: the API reference page in a real browser. Builds the
# page (as `make docs` does) into .local/docs/, opens it in headless
# Chromium (Debian's package: installed here when it is missing and this
# runs as root), checks that every operation of infra/openapi.yaml is on the
# rendered page and that it loads nothing from elsewhere, and keeps a
# screenshot, .local/docs/reference.png. Chromium runs with its background
# networking, component updates and sync off: it reaches nothing beyond the
# file it opens.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
local_dir=${CLIENTELE_LOCAL_DIR:-$root/.local}
out=$local_dir/docs
page=$out/index.html
say() { printf 'reference: %s\n' "$*" >&2; }

mkdir -p "$out"
"$local_dir/checks/bin/python" "$root/infra/docs/reference.py" build "$local_dir/redoc/redoc.standalone.js" "$page"

if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        say "needs Debian's chromium package (sudo apt-get install chromium)"
        exit 1
    fi
    say "installing Debian's chromium package"
    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi

flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-default-apps --user-data-dir="$out/profile" --virtual-time-budget=30000)
chromium "${flags[@]}" --dump-dom "file://$page" >"$out/rendered.html" 2>"$out/chromium.log"
chromium "${flags[@]}" --window-size=1440,2400 --screenshot="$out/reference.png" "file://$page" \
    >>"$out/chromium.log" 2>&1
"$local_dir/checks/bin/python" "$root/infra/docs/reference.py" check "$out/rendered.html"
say "screenshot: $out/reference.png"
