"""gunicorn settings read from the project folder (gunicorn loads ./gunicorn.conf.py).

Command-line options (-w, -b) still win. Only what the product needs of every deployment
is here: no ``Server`` banner naming the software (issue 10: 等保 asks that a server not
announce what it runs), the reverse proxy's address trusted for X-Forwarded-*, and the
worker model the load test measured best (benchmarks/README.md): sync workers, 2 × cores
+ 2 of them (``WEB_CONCURRENCY`` sets the number). A list request is mostly Python: threads
of one process wait on each other's GIL, which stretched the slowest requests (p95 536 ms
with 4 processes × 4 threads against 346 ms with 6 sync processes on 2 cores, 20 users).
Sync workers expect the reverse proxy in front to buffer slow clients, as nginx does.
"""
import multiprocessing
import os

import gunicorn.http.wsgi

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_default_headers = gunicorn.http.wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.startswith("Server:")]


gunicorn.http.wsgi.Response.default_headers = _headers_without_server

worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 2))
timeout = 60
