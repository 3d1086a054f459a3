"""A local HTTPS host that serves certificate-chain files, standing in for
https://s3.amazonaws.com/echo.api/... in tests.

Usage: python3 chain_host.py --root DIR --cert PEM --key PEM --port-file FILE
                             --log FILE [--slow-ms N]

Listens on 127.0.0.1 on a free port and writes the port number to
--port-file once it accepts connections. Every GET is appended to --log as
one line "PATH STATUS" and flushed at once, so a test counts downloads from
the server's side. Paths containing "/slow/" are answered after --slow-ms
milliseconds, so that concurrent first requests overlap one download.
Stops on SIGTERM, which the test that started it sends.
"""
import argparse
import http.server
import os
import signal
import ssl
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--slow-ms", type=int, default=300)
    args = ap.parse_args()

    root = os.path.realpath(args.root)
    log = open(args.log, "a", buffering=1, encoding="utf-8")
    log_lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = self.path
            status, body = 404, b"not found\n"
            target = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if target.startswith(root + os.sep) and os.path.isfile(target):
                with open(target, "rb") as f:
                    status, body = 200, f.read()
            if "/slow/" in path:
                time.sleep(args.slow_ms / 1000.0)
            with log_lock:
                log.write(f"{path} {status}\n")
                log.flush()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # Clients that hang up early (the size-limit test does) are
            # expected; a traceback on stderr would only be noise.
            pass

    server = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
