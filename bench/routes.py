"""`make bench`'s second part: what every route costs, warm.

Usage: routes.py --work DIR --events DIR [--rounds N] FUNCTION=BINARY ...
  Starts every function at once, each in a Sandbox (sandbox.py) with the
  environment in DIR/<function>.env (one NAME=value a line, as the bench's
  spec gives it), with DynamoDB reached through a metering proxy
  (dynamodb_meter.py). Then walks SCENARIO, the routes in an order in which
  each succeeds: a customer is created, everything else acts on it, and it
  is erased at the end. A step's answer names what later steps act on (the
  placeholder ids in events/ are replaced by the ids the answers give), so
  every route runs against real data. Each function gets one warm-up
  invocation first; every step is then a warm invocation. --rounds times
  over, each round with its own customer.

  For each route it keeps: the answer's status, the CPU time the function
  used (and how much more than ddb-get's, the floor, run as a route too), the AWS calls (X-Ray subsegments) and the round trips
  they were waited for in (DynamoDB's calls made at once are one), the DynamoDB units consumed
  (the meter's), the outbox events written, and the bytes logged. It prints
  them and what a million such requests cost on AWS (prices.py), and writes
  them to DIR/routes.json. It exits 1 if a route did not succeed.
"""

import argparse, base64, copy, hashlib, hmac, json, os, re, statistics, sys, time, urllib.request, uuid

from dynamodb_meter import Meter, round_trips
from prices import cost_per_million, PRICES_AS_OF
from sandbox import Sandbox

CUSTOMER = "123e4567-e89b-12d3-a456-426614174002"
API = {"customers", "tags", "notes", "contacts", "interactions", "tokens", "users", "subscriptions", "gdpr", "service"}

# (function, event, options). Options: binds (a placeholder id the answer's
# /id stands for from then on), fresh (strings made new each round: emails,
# user ids, names that must be unique), upload (put a small CSV at the
# answer's upload_url), body (instead of the event's), etag (If-Match: the
# last answer's ETag), label (after the route, when a route runs twice),
# measure (False: a step that only makes data).
SCENARIO = [
    ("ddb-get", "customers/get", {}),  # the floor: one GetItem, each route's CPU is shown beyond it
    ("auth-check", "auth-check/user-token", {}),
    ("auth-check", "auth-check/client-active", {}),
    ("customers", "customers/create", {"binds": CUSTOMER,
                                       "fresh": ["john.doe@example.com", "123e4567-e89b-12d3-a456-426614174000"]}),
    ("customers", "customers/get", {}),
    ("customers", "customers/update", {}),
    ("customers", "customers/replace", {"fresh": ["jane.doe@example.com"], "etag": True}),
    ("customers", "customers/validate", {}),
    ("customers", "customers/suspend", {}),
    ("customers", "customers/reactivate", {}),
    ("customers", "customers/list", {}),
    ("customers", "customers/search", {}),
    ("customers", "customers/statistics", {}),
    ("customers", "customers/stats", {}),
    ("customers", "customers/audit", {}),
    ("customers", "customers/avatar-set", {}),
    ("customers", "customers/avatar-get", {}),
    ("inbound", "inbound/order-created", {}),
    ("inbound", "inbound/order-updated", {}),
    ("inbound", "inbound/order-completed", {}),
    ("inbound", "inbound/order-returned", {}),
    ("inbound", "inbound/order-cancelled", {}),
    ("inbound", "inbound/appointment-booked", {}),
    ("inbound", "inbound/appointment-cancelled", {}),
    ("inbound", "inbound/customer-update-request", {}),
    ("inbound", "inbound/data-request", {}),
    ("customers", "customers/orders", {}),
    ("customers", "customers/order", {}),
    ("customers", "customers/segment-save", {"binds": "123e4567-e89b-12d3-a456-426614174005"}),
    ("customers", "customers/segment-get", {}),
    ("customers", "customers/segment-members", {}),
    ("customers", "customers/segments", {}),
    ("customers", "customers/segments-saved", {}),
    ("customers", "customers/segment-delete", {}),
    ("customers", "customers/segment-save", {"binds": "123e4567-e89b-12d3-a456-426614174005", "label": "a list",
                                             "body": {"name": "Launch guests", "kind": "list"}}),
    ("customers", "customers/list-add", {}),
    ("customers", "customers/segment-members", {"label": "a list"}),
    ("customers", "customers/list-remove", {}),
    ("customers", "customers/segment-delete", {"measure": False}),
    ("tags", "tags/create", {"binds": "123e4567-e89b-12d3-a456-426614174020"}),
    ("tags", "tags/list-of", {}),
    ("tags", "tags/remove-from", {}),
    ("tags", "tags/add-to", {"binds": "123e4567-e89b-12d3-a456-426614174020"}),
    ("tags", "tags/add-to-list", {}),
    ("tags", "tags/remove", {}),
    ("notes", "notes/add", {"binds": "0196f3a0-0000-7000-8000-000000000001"}),
    ("notes", "notes/list", {}),
    ("notes", "notes/remove", {}),
    ("contacts", "contacts/add", {"binds": "5d2c1e0f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"}),
    ("contacts", "contacts/get", {}),
    ("contacts", "contacts/replace", {}),
    ("contacts", "contacts/make-primary", {}),
    ("contacts", "contacts/of-customer", {}),
    ("contacts", "contacts/search", {}),
    ("contacts", "contacts/remove", {}),
    ("interactions", "interactions/log", {"binds": "7b0e8c2a-5d1f-4c3e-9a6b-2f4d8e1c0a93"}),
    ("interactions", "interactions/get", {}),
    ("interactions", "interactions/replace", {}),
    ("interactions", "interactions/of-customer", {}),
    ("interactions", "interactions/date-range", {}),
    ("interactions", "interactions/statistics", {}),
    ("interactions", "interactions/search", {}),
    ("interactions", "interactions/remove", {}),
    ("tokens", "tokens/purchase", {}),
    ("tokens", "tokens/allocate", {}),
    ("tokens", "tokens/use", {}),
    ("tokens", "tokens/refund", {}),
    ("tokens", "tokens/adjust", {}),
    ("tokens", "tokens/balance", {}),
    ("tokens", "tokens/ledger", {}),
    ("users", "users/add", {"binds": "4a1f7c3e-9b2d-4e8a-8c6f-1d3b5e7a9c20", "fresh": ["mihai.ionescu@example.com"]}),
    ("users", "users/get", {}),
    ("users", "users/update", {}),
    ("users", "users/password-reset", {}),
    ("users", "users/of-customer", {}),
    ("users", "users/remove", {}),
    ("subscriptions", "subscriptions/create-plan", {"binds": "5c2e8f1a-7b3d-4e6f-9a1c-2d4b6e8f0a13"}),
    ("subscriptions", "subscriptions/create-plan", {"binds": "6d3f9a2b-8c4e-4f70-8b2d-3e5c7f9a1b24", "measure": False}),
    ("subscriptions", "subscriptions/plan", {}),
    ("subscriptions", "subscriptions/update-plan", {}),
    ("subscriptions", "subscriptions/plans", {}),
    ("subscriptions", "subscriptions/subscribe", {"binds": "f3a91c47-2d5e-4b8a-9c61-7e0d2b4a8f15"}),
    ("subscriptions", "subscriptions/get", {}),
    ("subscriptions", "subscriptions/of-customer", {}),
    ("subscriptions", "subscriptions/change-plan", {}),
    ("subscriptions", "subscriptions/cancel", {}),
    ("customers", "customers/import-begin", {"binds": "123e4567-e89b-12d3-a456-426614174020", "upload": True}),
    ("customers", "customers/import-start", {}),
    ("customers", "customers/import-get", {}),
    ("customers", "customers/import-rows", {}),
    ("customers", "customers/export-begin", {"binds": "123e4567-e89b-12d3-a456-426614174021"}),
    ("customers", "customers/export-get", {}),
    ("gdpr", "gdpr/export", {}),
    ("service", "service/health", {}),
    ("service", "service/root", {}),
    ("gdpr", "gdpr/delete", {}),
    ("customers", "customers/create", {"binds": CUSTOMER, "measure": False,
                                       "fresh": ["john.doe@example.com", "123e4567-e89b-12d3-a456-426614174000"]}),
    ("customers", "customers/delete", {}),
    ("publisher", "publisher-batch", {}),
]

IMPORT_FILE = b"full_name,email,phone,gender,customer_type,user_id,tags\nAna Pop,ana.pop@example.com,,,,,\n"


def user_token_event(events, key):
    """The authorizer's event for a valid user token: token-expired.json with a token signed now."""
    event = json.load(open(f"{events}/auth-check/token-expired.json"))
    now = int(time.time())
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=")
    claims = {"sub": "local-developer", "business_id": "123e4567-e89b-12d3-a456-426614174001",
              "roles": ["admin"], "iss": "clientele", "aud": "clientele-api", "iat": now, "nbf": now, "exp": now + 900}
    signed = encode({"alg": "HS256", "typ": "JWT"}) + b"." + encode(claims)
    signature = base64.urlsafe_b64encode(hmac.new(key.encode(), signed, hashlib.sha256).digest()).rstrip(b"=")
    token = "Bearer " + (signed + b"." + signature).decode()
    event["identitySource"] = [token]
    event["headers"]["authorization"] = token
    return event


def fresh_value(value, tag):
    if re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", value):
        return str(uuid.uuid4())
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local}+{tag}@{domain}"
    return f"{value} {tag}"


def answer_status(function, answer):
    """The HTTP status a route answered, or what an event function's answer means."""
    try:
        body = json.loads(answer)
    except ValueError:
        return "not JSON"
    if function == "auth-check":
        return 200 if body.get("isAuthorized") else 403
    if function == "publisher":
        return 200 if body.get("batchItemFailures") == [] else "failures"
    if function == "inbound":
        return 200 if body is None else "refused"
    return body.get("statusCode", "?")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--dynamodb", required=True)
    parser.add_argument("--logs", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    binaries = dict(b.split("=", 1) for b in args.binaries)
    meter = Meter(args.dynamodb)
    sandboxes, memory = {}, {}
    templates = {"auth-check/user-token": user_token_event(args.events, os.environ["JWT_SIGNING_KEY"])}
    for _, name, _ in SCENARIO:
        if name not in templates:
            path = f"{args.work}/{name}.json" if name == "publisher-batch" else f"{args.events}/{name}.json"
            templates[name] = json.load(open(path))
    figures, failures = {}, []
    try:
        for function, binary in binaries.items():
            environment = dict(line.rstrip("\n").split("=", 1) for line in open(f"{args.work}/{function}.env"))
            environment["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://{meter.address}"
            memory[function] = int(environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
            log = open(f"{args.logs}/routes-{function}.log", "wb")
            sandboxes[function] = Sandbox([binary], environment, log, count_output=True)
        # One warm-up each: the cold start is the first table's; here every invocation is warm.
        for function, sandbox in sandboxes.items():
            warm_up = next(name for f, name, _ in SCENARIO if f == function)
            sandbox.invoke(json.dumps(templates[warm_up]).encode())
        time.sleep(0.2)
        meter.take()
        for round in range(args.rounds):
            bound, etag = {}, None
            for step, (function, name, options) in enumerate(SCENARIO):
                if function not in sandboxes:
                    continue
                sandbox = sandboxes[function]
                text = json.dumps(templates[name])
                for placeholder, value in bound.items():
                    text = text.replace(placeholder, value)
                for value in options.get("fresh", []):
                    text = text.replace(value, fresh_value(value, f"r{round}s{step}{uuid.uuid4().hex[:6]}"))
                event = json.loads(text)
                if "body" in options:
                    event["body"] = json.dumps(options["body"])
                if options.get("etag") and etag:
                    event["headers"]["if-match"] = etag
                if function == "inbound":  # a new event id, or it is only a duplicate
                    event["id"] = str(uuid.uuid4())
                cpu, logged, calls_before = sandbox.cpu_ms(), sandbox.output_bytes, len(sandbox.roots)
                invocation = sandbox.invoke(json.dumps(event).encode())
                time.sleep(0.05)  # the subsegments (UDP) and the last log lines
                cpu = sandbox.cpu_ms() - cpu
                status = answer_status(function, invocation.answer) if invocation.ok else invocation.kind
                dynamodb = meter.take()
                route = f"{function} {event.get('routeKey') if function in API else name.split('/')[-1]}"
                if options.get("label"):
                    route += f" ({options['label']})"
                if not (isinstance(status, int) and 200 <= status < 400):
                    failures.append(f"{route} ({name}, round {round + 1}): {status}: "
                                    f"{invocation.answer.decode(errors='replace')[:300]}")
                answer = {}
                try:
                    response = json.loads(invocation.answer)
                    etag = (response.get("headers") or {}).get("etag", etag)
                    answer = json.loads(response.get("body") or "{}")
                except (ValueError, AttributeError, TypeError):
                    pass
                if options.get("binds") and isinstance(answer, dict) and answer.get("id"):
                    bound[options["binds"]] = answer["id"]
                if options.get("upload") and isinstance(answer, dict) and answer.get("upload_url"):
                    request = urllib.request.Request(answer["upload_url"], data=IMPORT_FILE, method="PUT",
                                                     headers={"Content-Type": "text/csv"})
                    urllib.request.urlopen(request, timeout=10).read()
                if options.get("measure", True) is False:
                    continue
                # DynamoDB's calls as the meter saw them (the floor sends no
                # subsegments), the rest from the X-Ray subsegments.
                traced = (sandbox.calls()[calls_before:] or [[]])[0]
                calls = [f"DynamoDB {c['operation']}" for c in dynamodb] + [
                    c for c in traced if not c.startswith("DynamoDB ")]
                # Calls to DynamoDB made at once are one wait; the others
                # (S3, SQS, Secrets Manager) are made one at a time.
                trips = round_trips([c["span"] for c in dynamodb]) + (len(calls) - len(dynamodb))
                entry = figures.setdefault(route, {"function": function, "event": name, "runs": []})
                entry["runs"].append({
                    "status": status, "cpu_ms": cpu, "wall_ms": invocation.took_ms,
                    "calls": calls, "round_trips": trips, "log_bytes": sandbox.output_bytes - logged,
                    "read_units": sum(c["read"] for c in dynamodb),
                    "write_units": sum(c["write"] for c in dynamodb),
                    "index_write_units": sum(c["index_write"] for c in dynamodb),
                    "events": sum(c["outbox"] for c in dynamodb),
                })
    finally:
        for sandbox in sandboxes.values():
            sandbox.close()
        meter.close()
    report(figures, memory, failures, args.work)
    sys.exit(1 if failures else 0)


def print_table(rows):
    """Rows of text under a header and a rule: the first column to the left, the rest to the right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def report(figures, memory, failures, work):
    median = lambda key, runs: statistics.median(r[key] for r in runs)
    authorizer = figures.get("auth-check user-token")
    publisher = next((f for r, f in figures.items() if f["function"] == "publisher"), None)
    per_event = None
    if publisher:  # what the publisher costs per event it sends: its batch over the batch's events
        runs = publisher["runs"]
        per_event = cost_per_million(memory["publisher"], median("cpu_ms", runs),
                                     median("round_trips", runs), runs[0]["calls"],
                                     0, 0, 0, median("log_bytes", runs), 0, api=False)["total"] / 100
    floor = figures.get("ddb-get get")
    floor_cpu = median("cpu_ms", floor["runs"]) if floor else None
    rows = [("route", "status", "CPU ms", "beyond floor", "AWS calls", "round trips", "read units", "write units", "index units", "events",
             "log bytes", "$ per million")]
    for route, entry in figures.items():
        runs, function = entry["runs"], entry["function"]
        calls = runs[-1]["calls"]
        api = function in API or function == "ddb-get"
        auth = None
        if api and authorizer:
            auth = (median("cpu_ms", authorizer["runs"]), median("round_trips", authorizer["runs"]),
                    median("log_bytes", authorizer["runs"]), memory["auth-check"])
        cost = cost_per_million(memory[function], median("cpu_ms", runs), median("round_trips", runs), calls,
                                median("read_units", runs), median("write_units", runs) + median("index_write_units", runs),
                                median("events", runs), median("log_bytes", runs), per_event or 0,
                                api=api, authorizer=auth)
        entry["cost"] = cost
        statuses = sorted({str(r["status"]) for r in runs})
        beyond = f"{median('cpu_ms', runs) - floor_cpu:+.2f}" if floor_cpu is not None else "-"
        rows.append((route, "/".join(statuses), f"{median('cpu_ms', runs):.2f}", beyond, str(len(calls)),
                     f"{median('round_trips', runs):g}",
                     f"{median('read_units', runs):g}", f"{median('write_units', runs):g}",
                     f"{median('index_write_units', runs):g}", f"{median('events', runs):g}",
                     f"{median('log_bytes', runs):.0f}", f"{cost['total']:.2f}"))
    print(f"\nevery route, warm ({len(next(iter(figures.values()))['runs']) if figures else 0} rounds; medians; "
          f"AWS prices of {PRICES_AS_OF}, us-east-1, arm64)")
    print_table(rows)
    parts = [("route",) + tuple(k for k in next(iter(figures.values()))["cost"] if k != "total")] if figures else []
    if parts:
        print("\nwhere a million requests' dollars go")
        for route, entry in figures.items():
            parts.append((route,) + tuple(f"{v:.3f}" for k, v in entry["cost"].items() if k != "total"))
        print_table(parts)
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    json.dump(figures, open(f"{work}/routes.json", "w"), indent=1)


if __name__ == "__main__":
    main()
