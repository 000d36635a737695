#!/usr/bin/env bash
# Runs DynamoDB Local on 127.0.0.1 (see LoopbackDynamoDb.java for the arguments).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ddb=${CLIENTELE_LOCAL_DIR:-$root/.local}/dynamodb
exec java -Xss4m -Djava.library.path="$ddb/DynamoDBLocal_lib" \
    -cp "$ddb/DynamoDBLocal.jar:$ddb/DynamoDBLocal_lib/*:$ddb/launcher" \
    LoopbackDynamoDb "$@"
