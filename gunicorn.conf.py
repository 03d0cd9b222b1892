"""gunicorn settings read from the project folder (gunicorn loads ./gunicorn.conf.py).

Command-line options (-w, -b) still win. Only what the product needs of every deployment
is here: no ``Server`` banner naming the software (issue 10: 等保 asks that a server not
announce what it runs), and the reverse proxy's address trusted for X-Forwarded-*.
"""
import os

import gunicorn.http.wsgi

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_default_headers = gunicorn.http.wsgi.Response.default_headers


def _headers_without_server(self):
    return [h for h in _default_headers(self) if not h.startswith("Server:")]


gunicorn.http.wsgi.Response.default_headers = _headers_without_server
