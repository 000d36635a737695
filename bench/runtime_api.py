"""A minimal Lambda Runtime API on 127.0.0.1 that runs one function binary and times it.

Usage: runtime_api.py --event FILE [--invocations N] [--vary /json/pointer ...] -- BINARY [ARGS...]
  Starts BINARY with this process's environment plus AWS_LAMBDA_RUNTIME_API
  (its output goes to this process's standard error),
  hands it the event N times (the first one cold), then prints one JSON line:
  init_ms (start -> first `next`), first_ms (start -> first response),
  first_invoke_ms (first event handed out -> its response), warm_ms (each
  later invocation: event handed out -> response), cold_cpu_ms and cpu_ms
  (CPU time used by the first response, and by the end), peak_rss_kib (VmHWM
  after the last invocation), subsegments (the X-Ray documents the function
  sent), calls (each invocation's AWS calls, "DynamoDB GetItem", from the
  subsegments of its trace), and the first answer. As Lambda does with active tracing, it runs an
  X-Ray daemon stand-in (a UDP socket on 127.0.0.1 that counts what it gets,
  named by AWS_XRAY_DAEMON_ADDRESS) and hands out every event sampled, with a
  trace header of its own. --vary appends
  "-<run>-<n>" to the string at a JSON pointer, so that every invocation is new
  work (an event id, an order id), not a duplicate.
"""

import argparse, copy, http.server, json, os, queue, signal, socket, subprocess, sys, threading, time, uuid

BASE = "/2018-06-01/runtime"
args_parser = argparse.ArgumentParser()
args_parser.add_argument("--event", required=True)
args_parser.add_argument("--invocations", type=int, default=21)
args_parser.add_argument("--vary", action="append", default=[])
args_parser.add_argument("command", nargs="+")
args = args_parser.parse_args()

template, run = json.load(open(args.event)), uuid.uuid4().hex[:8]
events, handed, answers, roots = queue.Queue(), {}, queue.Queue(), {}
marks = {}
for n in range(args.invocations):
    event = copy.deepcopy(template)
    for pointer in args.vary:
        *path, last = pointer.strip("/").split("/")
        node = event
        for part in path:
            node = node[part]
        node[last] = f"{node[last]}-{run}-{n}"
    events.put((str(uuid.uuid4()), json.dumps(event).encode()))


class Api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def reply(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != f"{BASE}/invocation/next":
            return self.reply(404)
        marks.setdefault("init", time.perf_counter())
        request_id, body = events.get()  # blocks for good after the last event
        deadline = int(time.time() * 1000) + 60_000
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'bench')}"
        root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        trace = f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=1"
        roots[root] = len(roots)
        handed[request_id] = time.perf_counter()
        self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", request_id),
                               ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                               ("Lambda-Runtime-Invoked-Function-Arn", arn),
                               ("Lambda-Runtime-Trace-Id", trace)])

    def do_POST(self):
        now = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path[len(BASE):].strip("/").split("/")
        self.reply(202)
        if parts[:2] == ["init", "error"]:
            answers.put(("init error", now, 0.0, body))
        elif len(parts) == 3 and parts[0] == "invocation":
            answers.put((parts[2], now, now - handed.get(parts[1], now), body))


def cpu_ms(pid):
    """CPU time the process's live threads have run (schedstat, in ns), in ms."""
    total = 0
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return float("nan")
    for thread in threads:
        try:
            total += int(open(f"/proc/{pid}/task/{thread}/schedstat").read().split()[0])
        except (OSError, ValueError):
            pass
    return total / 1e6


daemon, subsegments = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), []


def count_subsegments():
    while True:
        subsegments.append(daemon.recv(65536))


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
daemon.bind(("127.0.0.1", 0))
threading.Thread(target=count_subsegments, daemon=True).start()
environment = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
                   AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{daemon.getsockname()[1]}")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
start = time.perf_counter()
child = subprocess.Popen(args.command, env=environment, stdout=sys.stderr)  # its logs; stdout is ours
result = {"warm_ms": []}
try:
    for n in range(args.invocations):
        asked = time.perf_counter()
        while True:
            try:
                kind, at, took, body = answers.get(timeout=0.1)
                break
            except queue.Empty:
                if child.poll() is not None or time.perf_counter() - asked > 60:
                    kind, at, took, body = "exited" if child.poll() is not None else "timeout", 0, 0, b""
                    break
        if kind != "response":
            result["error"] = f"{kind} at invocation {n}: {body.decode(errors='replace')[:500]}"
            break
        if n == 0:
            result.update(init_ms=(marks["init"] - start) * 1000, first_ms=(at - start) * 1000,
                          first_invoke_ms=took * 1000, first_answer=body.decode(errors="replace"),
                          cold_cpu_ms=cpu_ms(child.pid))
        else:
            result["warm_ms"].append(took * 1000)
    if child.poll() is None and "cold_cpu_ms" in result:
        result["cpu_ms"] = cpu_ms(child.pid)
    status = open(f"/proc/{child.pid}/status").read() if child.poll() is None else ""
    for line in status.splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            result["peak_rss_kib" if line.startswith("VmHWM") else "rss_kib"] = int(line.split()[1])
    # Each invocation's AWS calls, from the subsegments under its trace.
    calls = [[] for _ in range(args.invocations)]
    for datagram in subsegments:
        try:
            document = json.loads(datagram.split(b"\n", 1)[1])
            calls[roots[document["trace_id"]]].append(f"{document['name']} {document['aws']['operation']}")
        except (IndexError, KeyError, ValueError):
            pass
    result["subsegments"], result["calls"] = len(subsegments), calls
finally:
    child.terminate()
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
print(json.dumps(result), flush=True)
