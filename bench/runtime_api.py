"""Runs one function binary from cold under the Runtime API stand-in and times it.

Usage: runtime_api.py --event FILE [--invocations N] [--vary /json/pointer ...] -- BINARY [ARGS...]
  Starts BINARY in a Sandbox (sandbox.py) with this process's environment
  (its output goes to this process's standard error), hands it the event N
  times (the first one cold), then prints one JSON line: init_ms (start ->
  first `next`), first_ms (start -> first response), first_invoke_ms (first
  event handed out -> its response), warm_ms (each later invocation: event
  handed out -> response), cold_cpu_ms and cpu_ms (CPU time used by the
  first response, and by the end), peak_rss_kib (VmHWM after the last
  invocation), subsegments (the X-Ray documents the function sent), calls
  (each invocation's AWS calls, "DynamoDB GetItem", from the subsegments of
  its trace), and the first answer. --vary appends "-<run>-<n>" to the
  string at a JSON pointer, so that every invocation is new work (an event
  id, an order id), not a duplicate.
"""

import argparse, copy, json, os, signal, sys, uuid

from sandbox import Sandbox

args_parser = argparse.ArgumentParser()
args_parser.add_argument("--event", required=True)
args_parser.add_argument("--invocations", type=int, default=21)
args_parser.add_argument("--vary", action="append", default=[])
args_parser.add_argument("command", nargs="+")
args = args_parser.parse_args()

template, run = json.load(open(args.event)), uuid.uuid4().hex[:8]
events = []
for n in range(args.invocations):
    event = copy.deepcopy(template)
    for pointer in args.vary:
        *path, last = pointer.strip("/").split("/")
        node = event
        for part in path:
            node = node[part]
        node[last] = f"{node[last]}-{run}-{n}"
    events.append(json.dumps(event).encode())

signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
sandbox = Sandbox(args.command, dict(os.environ), sys.stderr)
result = {"warm_ms": []}
try:
    for n, event in enumerate(events):
        invocation = sandbox.invoke(event)
        if not invocation.ok:
            result["error"] = f"{invocation.kind} at invocation {n}: {invocation.answer.decode(errors='replace')[:500]}"
            break
        if n == 0:
            result.update(init_ms=sandbox.init_ms, first_ms=(invocation.at - sandbox.start) * 1000,
                          first_invoke_ms=invocation.took_ms, first_answer=invocation.answer.decode(errors="replace"),
                          cold_cpu_ms=sandbox.cpu_ms())
        else:
            result["warm_ms"].append(invocation.took_ms)
    if sandbox.child.poll() is None and "cold_cpu_ms" in result:
        result["cpu_ms"] = sandbox.cpu_ms()
    result.update(sandbox.memory_kib())
    calls = sandbox.calls()
    result["subsegments"], result["calls"] = len(sandbox.subsegments), calls + [[]] * (len(events) - len(calls))
finally:
    sandbox.close()
print(json.dumps(result), flush=True)
