"""Attachments of workflow steps, stored under FILES_DIR/workflow/<instance id>/.

A step records the stored names only; downloads go through the instance's scope (the view
looks the instance up scoped and serves a name only if one of its steps lists it)."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Iterable, Optional

from flask import current_app

_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")
MAX_NAME = 120


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
    prefix keeps two uploads of one name apart)."""
    out = []
    base = folder(instance_id)
    for f in files or []:
        if f is None or not getattr(f, "filename", ""):
            continue
        name = f"{uuid.uuid4().hex[:8]}-{clean_name(f.filename)}"
        f.save(base / name)
        out.append(name)
    return out


def discard(instance_id: int, names: Iterable[str]) -> None:
    """Remove stored files of a refused transition."""
    for name in names or []:
        try:
            (folder(instance_id) / clean_name(name)).unlink()
        except FileNotFoundError:
            pass


def path_of(instance, name: str) -> Optional[Path]:
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
