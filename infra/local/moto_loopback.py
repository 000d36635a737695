"""Runs moto's server (EventBridge, Secrets Manager, SQS, S3, ...) on 127.0.0.1.

Usage: moto_loopback.py <port> [--exit-with-stdin]
  port 0 picks a free port; the port taken is printed as "listening <host>:<port>".
  --exit-with-stdin stops the server when its standard input closes, so a test
  process that dies takes its server with it.
"""

import sys
import threading

from moto.moto_server.threaded_moto_server import ThreadedMotoServer


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(args[0]), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"listening {host}:{port}", flush=True)
    try:
        if "--exit-with-stdin" in sys.argv:
            sys.stdin.read()
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
