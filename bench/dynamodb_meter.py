"""A metering proxy in front of DynamoDB Local: the capacity every call consumes.

The functions under routes.py reach DynamoDB through it (their
AWS_ENDPOINT_URL_DYNAMODB names it). It passes each call on unchanged but for
`"ReturnConsumedCapacity": "INDEXES"`, passes the answer back byte for byte,
and keeps, for each call: its operation, the read and write units on the
table, the write units on its indexes, the outbox items it puts (each
becomes one EventBridge event), and when it came and was answered (calls
made at once are one round trip to wait for). The functions' own requests are not signed
again: DynamoDB Local does not check signatures.

DynamoDB Local reports what DynamoDB would for single-item calls, queries and
their indexes (1 write unit per KB written, to the table and to each index the
item is in; 0.5 read unit per 4 KB read eventually, 1 consistently), and for
TransactGetItems (2 per 4 KB). It does not for TransactWriteItems: it reports
4 write units for a transaction of one, two or three small items. DynamoDB
charges 2 write units per KB of each item in a transaction (a prepare and a
commit), so the meter computes a transaction's units from its items' sizes:
each Put's item, and each Update's, Delete's and ConditionCheck's item as
stored (read just before the call; an Update's the larger of before and after).
An index's copy is written as a plain write (indexes are updated after the
commit): 1 unit per KB of the item for each index the item is in before or
after, twice when its key in the index changed.
"""

import http.client, http.server, json, math, threading, time

TARGET = "DynamoDB_20120810."
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}


def value_size(value):
    """The bytes DynamoDB counts for one attribute value."""
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        digits = content.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(content) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in content)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in content)
    if kind == "BS":
        return sum(len(b) * 3 // 4 for b in content)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in content.items())
    return 0


def item_size(item):
    """The bytes DynamoDB counts for an item: names and values."""
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def kb(size):
    return max(1, math.ceil(size / 1024))


def round_trips(spans):
    """How many times calls made over `spans` ((start, end) pairs) were waited
    for in turn: calls that overlap, made at once, are one wait."""
    waits, busy_until = 0, None
    for start, end in sorted(spans):
        if busy_until is None or start >= busy_until:
            waits += 1
            busy_until = end
        else:
            busy_until = max(busy_until, end)
    return waits


def transaction_action_units(kind, old, new, indexes):
    """The write units one action of a transaction costs: (table, indexes).

    `old` and `new` are the item before and after (None where there is
    none), `indexes` each index's key attributes. The table pays 2 units per
    KB of the larger of the two; each index the item is in, before or after,
    1 unit per KB of its copy, and both copies when the item's key in that
    index changed. A ConditionCheck writes no index."""
    table = 2 * kb(max(item_size(old), item_size(new)))
    if kind == "ConditionCheck":
        return table, 0
    index = 0
    for keys in indexes.values():
        in_old = old is not None and all(k in old for k in keys)
        in_new = new is not None and all(k in new for k in keys)
        if in_old and in_new and any(old[k] != new[k] for k in keys):
            index += kb(item_size(old)) + kb(item_size(new))
        elif in_old or in_new:
            index += kb(max(item_size(old) if in_old else 0, item_size(new) if in_new else 0))
    return table, index


class Meter:
    """The proxy: `address` to point the functions at, `take()` for the calls since the last take."""

    def __init__(self, upstream):
        self.upstream, self.calls, self.lock, self.indexes = upstream, [], threading.Lock(), None
        meter = self

        class Proxy(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("content-length", "host", "x-amz-target")}
                headers["X-Amz-Target"] = self.headers.get("X-Amz-Target", "")
                status, reply_headers, reply = meter.forward(headers, body)
                self.send_response(status)
                for name, value in reply_headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def post(self, headers, target, body):
        connection = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers=dict(headers, **{"X-Amz-Target": TARGET + target,
                                                                               "Content-Type": "application/x-amz-json-1.0"}))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def stored(self, headers, table, key):
        """An item as stored now (the meter's own read, not counted)."""
        _, _, reply = self.post(headers, "GetItem", json.dumps(
            {"TableName": table, "Key": key, "ConsistentRead": True}).encode())
        return json.loads(reply).get("Item")

    def index_keys(self, headers, table):
        """Each index's key attributes, from DescribeTable (once)."""
        if self.indexes is None:
            _, _, reply = self.post(headers, "DescribeTable", json.dumps({"TableName": table}).encode())
            description = json.loads(reply).get("Table", {})
            self.indexes = {index["IndexName"]: [k["AttributeName"] for k in index["KeySchema"]]
                            for index in description.get("GlobalSecondaryIndexes", [])}
        return self.indexes

    def forward(self, headers, body):
        operation = headers["X-Amz-Target"].removeprefix(TARGET)
        try:
            request = json.loads(body)
        except ValueError:
            return self.post(headers, operation, body)
        if operation in READS | WRITES | {"TransactWriteItems"}:
            request["ReturnConsumedCapacity"] = "INDEXES"
        started = time.monotonic()
        before = self.before_transaction(headers, request) if operation == "TransactWriteItems" else None
        status, reply_headers, reply = self.post(headers, operation, json.dumps(request).encode())
        record = {"operation": operation, "read": 0.0, "write": 0.0, "index_write": 0.0, "outbox": 0,
                  "status": status, "span": (started, time.monotonic())}
        if status == 200:
            answer = json.loads(reply or b"{}")
            if operation == "TransactWriteItems":
                self.transaction_units(headers, request, before, record)
            else:
                self.reported_units(operation, answer, record)
            record["outbox"] = self.outbox_puts(operation, request)
        with self.lock:
            self.calls.append(record)
        return status, reply_headers, reply

    def reported_units(self, operation, answer, record):
        consumed = answer.get("ConsumedCapacity") or []
        for capacity in consumed if isinstance(consumed, list) else [consumed]:
            table = (capacity.get("Table") or {}).get("CapacityUnits", capacity.get("CapacityUnits", 0.0))
            indexes = sum(i.get("CapacityUnits", 0.0) for i in (capacity.get("GlobalSecondaryIndexes") or {}).values())
            if operation in READS:
                record["read"] += table + indexes  # a query of an index reads the index
            else:
                record["write"] += table
                record["index_write"] += indexes

    def before_transaction(self, headers, request):
        """Each action's item as stored before the transaction (None for a Put)."""
        stored = []
        for action in request.get("TransactItems", []):
            (kind, details), = action.items()
            stored.append(None if kind == "Put" else self.stored(headers, details["TableName"], details["Key"]))
        return stored

    def transaction_units(self, headers, request, before, record):
        for action, old in zip(request.get("TransactItems", []), before):
            (kind, details), = action.items()
            table = details["TableName"]
            if kind == "Put":
                new = details["Item"]
            elif kind == "Update":
                new = self.stored(headers, table, details["Key"])
            else:
                new = old if kind == "ConditionCheck" else None
            table_units, index_units = transaction_action_units(kind, old, new, self.index_keys(headers, table))
            record["write"] += table_units
            record["index_write"] += index_units

    @staticmethod
    def outbox_puts(operation, request):
        """The outbox items a call puts: each is one event the publisher sends."""
        items = []
        if operation == "PutItem":
            items = [request.get("Item", {})]
        elif operation == "TransactWriteItems":
            items = [a["Put"]["Item"] for a in request.get("TransactItems", []) if "Put" in a]
        elif operation == "BatchWriteItem":
            items = [w["PutRequest"]["Item"] for ws in request.get("RequestItems", {}).values()
                     for w in ws if "PutRequest" in w]
        return sum(1 for item in items if item.get("pk", {}).get("S", "").startswith("OUTBOX#"))

    def take(self):
        with self.lock:
            calls, self.calls = self.calls, []
        return calls

    def close(self):
        self.server.shutdown()
