"""What is inside an uploaded file, beyond its name (issue 10, ASVS V12.2).

- Formats that always start with a signature (PDF, ZIP and what is built on it, images,
  archives) must start with it: PHP source named ``.jpg`` carries none and is refused.
- Script or markup that a browser or a server would run (``<?php``, ``<svg``, ``<script``,
  ``<html``) is refused under any name, e.g. an SVG with a script named ``.png``.
- Images are opened with Pillow: the header's dimensions must stay within
  ``UPLOAD_MAX_IMAGE_PIXELS`` before any pixel is decoded (a decompression bomb of a few KB
  that would unpack to gigabytes is refused from its header), and the file must verify as
  the format its signature claims.
"""
from __future__ import annotations

import re
import warnings
from typing import IO

from flask import current_app

DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel scan; a phone photo is about 12
# Extensions whose content always starts with a known signature (see workflow_files).
SIGNED_TYPES = frozenset({"pdf", "ofd", "zip", "docx", "xlsx", "pptx", "jpg", "jpeg", "png",
                          "gif", "rar", "7z", "gz"})
IMAGE_TYPES = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF"}
_ACTIVE = re.compile(rb"<\?php|<svg[\s>]|<script[\s>]|<html[\s>]|<!doctype\s+html", re.I)
HEAD_BYTES = 4096


def max_image_pixels() -> int:
    return int(current_app.config.get("UPLOAD_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def _head(stream: IO[bytes], size: int = HEAD_BYTES) -> bytes:
    here = stream.tell()
    stream.seek(0)
    head = stream.read(size)
    stream.seek(here)
    return head


def content_problem(stream: IO[bytes], ext: str, kind: str | None) -> str | None:
    """Why the content does not fit the extension: "active" (script or markup),
    "unsigned" (the format's signature is missing), "image" (not a decodable image),
    "bomb" (image dimensions over the cap); None when it fits. ``kind`` is the signature
    already recognised (workflow_files._SIGNATURES)."""
    if ext in SIGNED_TYPES and kind is None:
        return "unsigned"
    if kind is None and _ACTIVE.search(_head(stream)):
        return "active"
    if ext in IMAGE_TYPES:
        return _image_problem(stream)
    return None


def _image_problem(stream: IO[bytes]) -> str | None:
    from PIL import Image, UnidentifiedImageError

    cap = max_image_pixels()
    here = stream.tell()
    try:
        stream.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Image.open reads the header only; Pillow's own bomb check is the backstop.
            Image.MAX_IMAGE_PIXELS = cap
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > cap:
                    return "bomb"
                if image.format not in IMAGE_TYPES.values():
                    return "image"
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "bomb"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return "image"
    finally:
        stream.seek(here)
    return None
