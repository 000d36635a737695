#!/usr/bin/env bash
# Installs what the local stack needs into .local/ (git-ignored), once:
#   .local/venv      cargo-lambda and moto, from PyPI (infra/local/requirements.txt)
#   .local/checks    the template's checks: SAM CLI, cfn-lint, checkov, from
#                    PyPI (infra/requirements-checks.txt)
#   .local/fuzz      schemathesis, the contract fuzzer, from PyPI
#                    (infra/local/requirements-fuzz.txt)
#   .local/dynamodb  Amazon DynamoDB Local, from the npm package
#                    amplify-dynamodb-simulator (pinned, integrity-checked), and
#                    the loopback launcher compiled against it.
#   .local/redoc     Redoc's standalone bundle, from the npm package redoc
#                    (pinned, integrity-checked): it renders the API
#                    reference page (`make docs`, and /docs under `make run`).
#   .local/asyncapi  the AsyncAPI parser, from npm as infra/asyncapi's lock
#                    file pins it (`npm ci`, no install scripts): it validates
#                    events/asyncapi.yaml (`make checks`).
# Needs python3 with venv and pip, npm, and a JDK (17 or later).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
local_dir=${CLIENTELE_LOCAL_DIR:-$root/.local}
here=$root/infra/local

ddb_package=amplify-dynamodb-simulator
ddb_version=2.9.30
ddb_integrity='sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=='
redoc_version=2.5.2
redoc_integrity='sha512-sTJfItvRkcDTojB6wdLN4M+Ua6mlZwElV21Tf8Mn7IbQF/1Os6GvgQpZyLWPGZZHbhy7GC1Or1hTMHfz1vKh5A=='

say() { printf 'tools: %s\n' "$*" >&2; }

for tool in python3 npm java javac; do
    command -v "$tool" >/dev/null || { say "$tool is needed but not installed"; exit 1; }
done
mkdir -p "$local_dir"

# Python tools, each set in a venv of its own (their pins do not mix),
# reinstalled when its requirements file changes.
python_tools() { # <venv> <requirements file> <what>
    local venv=$1 requirements=$2 stamp=$1/.requirements
    if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
        say "installing $3 into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$stamp"
    fi
}
python_tools "$local_dir/venv" "$here/requirements.txt" "cargo-lambda and moto"
python_tools "$local_dir/checks" "$root/infra/requirements-checks.txt" "the SAM CLI, cfn-lint and checkov"
python_tools "$local_dir/fuzz" "$here/requirements-fuzz.txt" "schemathesis"

# An npm package's tarball, fetched into a new folder and checked against
# its pinned integrity; prints the folder. The caller removes it.
npm_package() { # <package> <version> <integrity>
    local work tarball actual
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent "$1@$2" >/dev/null 2>&1)
    tarball=$work/$1-$2.tgz
    actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 | tr -d '\n')"
    if [ "$actual" != "$3" ]; then
        say "the $1 tarball does not match its pinned integrity"
        rm -rf "$work"
        exit 1
    fi
    tar -xzf "$tarball" -C "$work"
    echo "$work"
}

# DynamoDB Local: its licence forbids committing the jar, so it is fetched here.
ddb=$local_dir/dynamodb
if [ ! -f "$ddb/.version-$ddb_version" ]; then
    say "installing DynamoDB Local ($ddb_package@$ddb_version) into $ddb"
    work=$(npm_package "$ddb_package" "$ddb_version" "$ddb_integrity")
    rm -rf "$ddb"
    mv "$work/package/emulator" "$ddb"
    rm -rf "$work"
    touch "$ddb/.version-$ddb_version"
fi

# The launcher: recompiled when its source changes.
launcher=$ddb/launcher
if [ ! -f "$launcher/LoopbackDynamoDb.class" ] || [ "$here/LoopbackDynamoDb.java" -nt "$launcher/LoopbackDynamoDb.class" ]; then
    say "compiling the loopback launcher"
    mkdir -p "$launcher"
    javac -nowarn -cp "$ddb/DynamoDBLocal.jar:$ddb/DynamoDBLocal_lib/*" -d "$launcher" "$here/LoopbackDynamoDb.java"
fi

# Redoc: one file of its npm package, for the API reference page.
redoc=$local_dir/redoc
if [ ! -f "$redoc/.version-$redoc_version" ]; then
    say "installing Redoc ($redoc_version) into $redoc"
    work=$(npm_package redoc "$redoc_version" "$redoc_integrity")
    mkdir -p "$redoc"
    mv "$work/package/bundles/redoc.standalone.js" "$redoc/"
    rm -rf "$work"
    touch "$redoc/.version-$redoc_version"
fi

# The AsyncAPI parser: reinstalled when its lock file changes.
asyncapi=$local_dir/asyncapi
if ! cmp -s "$root/infra/asyncapi/package-lock.json" "$asyncapi/package-lock.json" 2>/dev/null; then
    say "installing the AsyncAPI parser into $asyncapi"
    rm -rf "$asyncapi"
    mkdir -p "$asyncapi"
    cp "$root/infra/asyncapi/package.json" "$root/infra/asyncapi/package-lock.json" "$asyncapi/"
    (cd "$asyncapi" && npm ci --silent --ignore-scripts --no-audit --no-fund >/dev/null)
fi
