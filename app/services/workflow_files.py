"""Attachments of workflow steps, stored under FILES_DIR/workflow/<instance id>/.

A step records the stored names only; downloads go through the instance's scope (the view
looks the instance up scoped and serves a name only if one of its steps lists it).

Uploads are checked before anything is written: size (``WORKFLOW_ATTACHMENT_MAX_MB`` per
file), extension (``WORKFLOW_ATTACHMENT_TYPES``) and a cheap look at the first bytes, so a
program renamed to ``.pdf`` is refused; ``upload_content`` then looks inside (signatures
that must be there, script or markup, images decoded within a pixel cap). A refusal
(``AttachmentRefused``) names the file and the limit in Chinese, then English, whatever
the user's language (the same text serves the screen and API clients)."""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.models import WorkflowInstance
from app.services import upload_content

from .quoting import quoted

_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")
MAX_NAME = 120
DEFAULT_MAX_MB = 20
DEFAULT_TYPES = ("pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "zip")

# The first bytes of the formats people attach, and of programs (never wanted).
_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PK\x07\x08", "zip"),  # also OFD, docx
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # doc, xls, ppt (Office 97-2003)
    (b"\xff\xd8\xff", "image"), (b"\x89PNG\r\n\x1a\n", "image"),
    (b"GIF87a", "image"), (b"GIF89a", "image"),
    (b"Rar!\x1a\x07", "rar"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x1f\x8b", "gzip"),
    (b"MZ", "program"), (b"\x7fELF", "program"), (b"#!", "program"),
    (b"\xca\xfe\xba\xbe", "program"), (b"\xcf\xfa\xed\xfe", "program"),
)
# What the content of a file with this extension may be. Lenient where offices are: a
# screenshot saved as .jpg that is a PNG, a .doc that is a .docx. Text-like content (RTF,
# HTML "xls" exports) matches no signature and is let through.
_OFFICE = frozenset({"ole", "zip"})
_EXPECTED = {
    "pdf": frozenset({"pdf"}), "ofd": frozenset({"zip"}), "zip": frozenset({"zip"}),
    "doc": _OFFICE, "docx": _OFFICE, "xls": _OFFICE, "xlsx": _OFFICE, "ppt": _OFFICE,
    "pptx": _OFFICE, "wps": _OFFICE, "et": _OFFICE,
    "jpg": frozenset({"image"}), "jpeg": frozenset({"image"}), "png": frozenset({"image"}),
    "gif": frozenset({"image"}), "rar": frozenset({"rar"}), "7z": frozenset({"7z"}),
    "gz": frozenset({"gzip"}), "exe": frozenset({"program"}),
}


class AttachmentRefused(Exception):
    """One or more uploads broke a limit; ``str()`` is the message (Chinese, then English),
    naming each file refused and the limit it broke."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems  # (Chinese, English) per file
        self.message = "；".join(zh for zh, _en in problems) + "。 " \
            + " ".join(en for _zh, en in problems)
        super().__init__(self.message)


def max_mb() -> int:
    return int(current_app.config.get("WORKFLOW_ATTACHMENT_MAX_MB", DEFAULT_MAX_MB))


def allowed_types() -> tuple[str, ...]:
    return tuple(current_app.config.get("WORKFLOW_ATTACHMENT_TYPES", DEFAULT_TYPES))


def _size(f) -> int:
    stream = f.stream
    here = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(here)
    return size


def _content_kind(f) -> str | None:
    stream = f.stream
    here = stream.tell()
    stream.seek(0)
    head = stream.read(16)
    stream.seek(here)
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def extension(filename: str) -> str:
    _stem, dot, ext = clean_name(filename).rpartition(".")
    return ext.lower() if dot else ""


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def problem(f: FileStorage) -> tuple[str, str] | None:
    """Why an uploaded ``FileStorage`` may not be attached, (Chinese, English), or None."""
    name = clean_name(f.filename)
    ext = extension(f.filename)
    types = allowed_types()
    if ext not in types:
        return (f"附件{quoted(name)}的类型不允许，只接受 {'、'.join(types)} 文件",
                f'The attachment "{name}" is not an accepted type; accepted: '
                f'{", ".join(types)}.')
    limit = max_mb()
    size = _size(f)
    if size > limit * 1024 * 1024:
        return (f"附件{quoted(name)}大小为 {_size_text(size)}，超过每个文件 {limit} MB 的上限",
                f'The attachment "{name}" is {_size_text(size)}, larger than the limit of '
                f'{limit} MB per file.')
    kind = _content_kind(f)
    expected = _EXPECTED.get(ext)
    if kind is not None and (kind not in expected if expected else kind == "program"):
        return (f"附件{quoted(name)}的内容不是 .{ext} 文件，只接受 {'、'.join(types)} 文件",
                f'The content of the attachment "{name}" is not a .{ext} file; accepted: '
                f'{", ".join(types)}.')
    return _CONTENT_MESSAGES.get(upload_content.content_problem(f.stream, ext, kind),
                                 lambda *_: None)(name, ext)


_CONTENT_MESSAGES = {
    "unsigned": lambda name, ext: (
        f"附件“{name}”的内容不是 .{ext} 文件", f'The content of the attachment "{name}" is '
        f"not a .{ext} file."),
    "active": lambda name, ext: (
        f"附件“{name}”含有脚本或网页代码，不能上传",
        f'The attachment "{name}" contains script or web page code and cannot be uploaded.'),
    "image": lambda name, ext: (
        f"附件“{name}”不是完好的 .{ext} 图片", f'The attachment "{name}" is not a readable '
        f".{ext} image."),
    "bomb": lambda name, ext: (
        f"附件“{name}”的图片尺寸超过 {upload_content.max_image_pixels() // 1_000_000} "
        f"百万像素的上限", f'The image "{name}" is larger than the limit of '
        f"{upload_content.max_image_pixels() // 1_000_000} megapixels."),
}


def check(files: Iterable) -> list:
    """The uploads worth keeping (those with a name), after checking them all; raises
    ``AttachmentRefused`` naming every file refused."""
    kept = [f for f in files or [] if f is not None and getattr(f, "filename", "")]
    problems = [p for p in (problem(f) for f in kept) if p]
    if problems:
        raise AttachmentRefused(problems)
    return kept


def upload_too_large_message(max_bytes: int | None) -> str:
    """The refusal of a request larger than Flask's MAX_CONTENT_LENGTH (Chinese, English)."""
    limit = _size_text(max_bytes) if max_bytes else ""
    return (f"上传的内容超过了 {limit} 的上限，本次操作没有执行，请缩小附件或分次上传。 "
            f"The upload is larger than the limit of {limit}; nothing was done. "
            f"Please attach smaller files or fewer at a time.")


def folder(instance_id: int) -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "workflow" / str(int(instance_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_name(filename: str) -> str:
    """The user's file name without directories or control characters (Chinese kept)."""
    name = _UNSAFE.sub("_", os.path.basename((filename or "").replace("\\", "/"))).strip(" .")
    return (name or "附件")[-MAX_NAME:]


def save(instance_id: int, files: Iterable) -> list[str]:
    """Store uploaded ``FileStorage`` objects; returns their stored names (a short unique
    prefix keeps two uploads of one name apart). Checks every file first (``check``):
    when one is refused, none is stored."""
    kept = check(files)
    out: list[str] = []
    base = folder(instance_id)
    try:
        for f in kept:
            name = f"{uuid.uuid4().hex[:8]}-{clean_name(f.filename)}"
            f.stream.seek(0)
            f.save(base / name)
            out.append(name)
    except BaseException:
        discard(instance_id, out)
        raise
    return out


def discard(instance_id: int, names: Iterable[str]) -> None:
    """Remove stored files of a refused transition."""
    for name in names or []:
        try:
            (folder(instance_id) / clean_name(name)).unlink()
        except FileNotFoundError:
            pass


def path_of(instance: WorkflowInstance, name: str) -> Path | None:
    """The file of ``name`` if a step of ``instance`` lists it and it exists."""
    listed = {a for s in instance.steps for a in (s.attachments or [])}
    if name not in listed or clean_name(name) != name:
        return None
    path = folder(instance.id) / name
    return path if path.is_file() else None


def display_name(stored: str) -> str:
    """The name as uploaded (without the unique prefix)."""
    head, sep, rest = stored.partition("-")
    return rest if sep and len(head) == 8 else stored
