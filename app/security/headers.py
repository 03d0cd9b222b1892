"""Security headers on every response (等保 2.0 8.1.4.4, ASVS V14.4).

The app serves every script, style and font itself (offline first), so the policy allows
only this origin. Flask-AppBuilder's templates still carry inline ``<script>`` blocks and
``style=`` attributes, so ``'unsafe-inline'`` stays for scripts and styles; everything
else (objects, frames, other origins, ``eval``-free base URIs) is shut.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in ("static", "appbuilder.static") and (
            current_user and current_user.is_authenticated or request.path.startswith("/api/")):
        # Signed-in pages and API answers hold the bureau's data: never kept by a cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    headers.pop("Server", None)
    return response


def install(app: Flask) -> None:
    app.after_request(_secure)
