"""One function binary under a Lambda Runtime API stand-in on 127.0.0.1.

A `Sandbox` starts the binary with the environment it is given plus
AWS_LAMBDA_RUNTIME_API and AWS_XRAY_DAEMON_ADDRESS, and hands it events one
at a time with `invoke`. As Lambda does with active tracing, it runs an X-Ray
daemon stand-in (a UDP socket on 127.0.0.1 that keeps what it gets) and
hands out every event sampled, with a trace header of its own, so each
invocation's AWS calls can be read off the subsegments under its trace.

Used by runtime_api.py (one event, many times, from cold) and routes.py
(every route, in order, warm).
"""

import http.server, json, os, queue, socket, subprocess, threading, time, uuid

BASE = "/2018-06-01/runtime"


class Invocation:
    """What one event's invocation gave: how it ended, its answer, and when."""

    def __init__(self, kind, at, took_ms, answer):
        self.kind, self.at, self.took_ms, self.answer = kind, at, took_ms, answer

    @property
    def ok(self):
        return self.kind == "response"


class Sandbox:
    """A function process under the Runtime API stand-in; `close` stops it."""

    def __init__(self, command, environment, output, count_output=False):
        """Starts `command`; its standard output goes to `output` (a file),
        through a pump that counts the bytes when `count_output` is set."""
        self.events, self.answers, self.handed, self.roots = queue.Queue(), queue.Queue(), {}, {}
        self.marks, self.subsegments, self.output_bytes = {}, [], 0
        sandbox = self

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
                sandbox.marks.setdefault("init", time.perf_counter())
                request_id, body = sandbox.events.get()  # blocks until the next event
                deadline = int(time.time() * 1000) + 60_000
                name = environment.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
                arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
                root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
                trace = f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=1"
                sandbox.roots[root] = len(sandbox.roots)
                sandbox.handed[request_id] = time.perf_counter()
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
                    sandbox.answers.put(Invocation("init error", now, 0.0, body))
                elif len(parts) == 3 and parts[0] == "invocation":
                    took = now - sandbox.handed.get(parts[1], now)
                    sandbox.answers.put(Invocation(parts[2], now, took * 1000, body))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.daemon.bind(("127.0.0.1", 0))
        threading.Thread(target=self._keep_subsegments, daemon=True).start()
        environment = dict(environment,
                           AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{self.server.server_address[1]}",
                           AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{self.daemon.getsockname()[1]}")
        self.start = time.perf_counter()
        if count_output:
            self.child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE)
            threading.Thread(target=self._pump, args=(output,), daemon=True).start()
        else:
            self.child = subprocess.Popen(command, env=environment, stdout=output)

    def _keep_subsegments(self):
        while True:
            self.subsegments.append(self.daemon.recv(65536))

    def _pump(self, output):
        for line in self.child.stdout:
            self.output_bytes += len(line)
            output.write(line)
            output.flush()

    def invoke(self, event, timeout=60):
        """Hands out one event (bytes) and waits for how it ends."""
        self.events.put((str(uuid.uuid4()), event))
        asked = time.perf_counter()
        while True:
            try:
                return self.answers.get(timeout=0.1)
            except queue.Empty:
                if self.child.poll() is not None:
                    return Invocation("exited", 0, 0, b"")
                if time.perf_counter() - asked > timeout:
                    return Invocation("timeout", 0, 0, b"")

    @property
    def init_ms(self):
        """Process start to its first `next`."""
        return (self.marks["init"] - self.start) * 1000

    def cpu_ms(self):
        """CPU time the process's live threads have run (schedstat, in ns), in ms."""
        total = 0
        try:
            threads = os.listdir(f"/proc/{self.child.pid}/task")
        except OSError:
            return float("nan")
        for thread in threads:
            try:
                total += int(open(f"/proc/{self.child.pid}/task/{thread}/schedstat").read().split()[0])
            except (OSError, ValueError):
                pass
        return total / 1e6

    def memory_kib(self):
        """VmHWM (peak RSS) and VmRSS, in KiB, while the process runs."""
        figures = {}
        if self.child.poll() is None:
            for line in open(f"/proc/{self.child.pid}/status").read().splitlines():
                if line.startswith(("VmHWM:", "VmRSS:")):
                    figures["peak_rss_kib" if line.startswith("VmHWM") else "rss_kib"] = int(line.split()[1])
        return figures

    def calls(self):
        """Each invocation's AWS calls ("DynamoDB GetItem"), from the subsegments under its trace."""
        calls = [[] for _ in self.roots]
        for datagram in list(self.subsegments):
            try:
                document = json.loads(datagram.split(b"\n", 1)[1])
                calls[self.roots[document["trace_id"]]].append(
                    f"{document['name']} {document['aws']['operation']}")
            except (IndexError, KeyError, ValueError):
                pass
        return calls

    def close(self):
        self.child.terminate()
        try:
            self.child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        self.server.shutdown()
