"""Site photos of work logs (现场照片): checked by content, re-encoded, thumbnailed, and what
their EXIF says about when and where they were taken.

- A photo is judged by its bytes, never by its name: it must start with the JPEG or PNG
  signature, hold no script or markup, stay within the size cap (``WORK_LOG_PHOTO_MAX_MB``)
  and the pixel cap of ``upload_content`` (checked from the header before any pixel is
  decoded), and decode completely. A PHP file named ``.jpg``, an SVG with a script, a
  30000×30000 PNG header or a truncated file are refused with the file's name.
- What is stored is never the upload: Pillow decodes it, applies the EXIF orientation and
  writes a fresh JPEG (long edge at most ``MAX_EDGE``) without any metadata, under a
  generated name, with a thumbnail beside it. The uploaded name is kept for display only.
- The EXIF capture time (DateTimeOriginal) and GPS position are read at upload and kept on
  the row. The served photo carries them again (a small EXIF block written into the stored
  JPEG on the way out) unless the project's region strips them
  (``Region.photo_strip_location``): the record keeps them either way, so the setting
  decides what leaves the server and may be changed at any time. Thumbnails never carry any.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.models import Project, WorkLogPhoto

from . import upload_content
from .workflow_files import clean_name

DEFAULT_MAX_MB = 15
MAX_EDGE = 2560  # px, long edge of the stored copy: enough to read a sign on a site board
THUMB_EDGE = 360
JPEG_QUALITY = 85
_SIGNATURES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME = 36867, 306
_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")


class PhotoRefused(Exception):
    """One or more photos may not be kept; ``message`` names each (in the UI's language)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        self.message = "；".join(messages)
        super().__init__(self.message)


@dataclass
class PreparedPhoto:
    """A checked upload, decoded and re-encoded, not yet written."""

    filename: str
    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None


def max_mb() -> int:
    return int(current_app.config.get("WORK_LOG_PHOTO_MAX_MB", DEFAULT_MAX_MB))


def _size(stream: IO[bytes]) -> int:
    here = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(here)
    return size


def _format(stream: IO[bytes]) -> str | None:
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    return next((fmt for magic, fmt in _SIGNATURES if head.startswith(magic)), None)


# -- EXIF -------------------------------------------------------------------------------------
def _taken_at(exif) -> dt.datetime | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    match = _EXIF_TIME.match(str(raw or "").strip())
    if not match:
        return None
    try:
        return dt.datetime(*(int(g) for g in match.groups()))
    except ValueError:  # "0000:00:00 00:00:00" and other camera defaults
        return None


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(math.isnan(v) for v in (d, m, s)):
        return None
    deg = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -deg if str(ref or "").strip().upper() in ("S", "W") else deg


def _position(exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    if not gps:
        return None, None
    lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) \
            or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = math.floor(value)
    m = math.floor((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return float(d), float(m), s


def exif_block(taken_at: dt.datetime | None, latitude: float | None,
               longitude: float | None) -> bytes | None:
    """An EXIF block ("Exif\\0\\0" + TIFF) with only the capture time and GPS position."""
    from PIL import Image

    if taken_at is None and (latitude is None or longitude is None):
        return None
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if latitude is not None and longitude is not None:
        gps = exif.get_ifd(_GPS_IFD)
        gps[1], gps[2] = ("S" if latitude < 0 else "N"), _dms(latitude)
        gps[3], gps[4] = ("W" if longitude < 0 else "E"), _dms(longitude)
    return exif.tobytes()


def with_exif(jpeg: bytes, block: bytes | None) -> bytes:
    """The JPEG with an APP1 EXIF segment after its JFIF header (no re-encoding)."""
    if not block or not jpeg.startswith(b"\xff\xd8"):
        return jpeg
    at = 2
    if jpeg[2:4] == b"\xff\xe0":  # keep JFIF's APP0 first
        at = 4 + int.from_bytes(jpeg[4:6], "big")
    segment = b"\xff\xe1" + (len(block) + 2).to_bytes(2, "big") + block
    return jpeg[:at] + segment + jpeg[at:]


# -- checking and re-encoding ---------------------------------------------------------------
def _refusal(name: str, reason: str) -> str:
    limit = max_mb()
    pixels = upload_content.max_image_pixels() // 1_000_000
    return {
        "not_image": _("“%(name)s” is not a photo: only JPEG and PNG images are accepted.",
                       name=name),
        "active": _("“%(name)s” contains script or web page code, not a photo.", name=name),
        "too_large": _("“%(name)s” is larger than the limit of %(mb)s MB per photo.",
                       name=name, mb=limit),
        "bomb": _("“%(name)s” has more than %(mp)s megapixels.", name=name, mp=pixels),
        "unreadable": _("“%(name)s” is damaged or not a readable image.", name=name),
    }[reason]


def _encode(image, edge: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif=: nothing kept
    return out.getvalue()


def prepare(upload: FileStorage) -> PreparedPhoto | str:
    """A checked and re-encoded photo, or the message why it is refused."""
    from PIL import Image, ImageOps

    name = clean_name(upload.filename)
    stream = upload.stream
    if _size(stream) > max_mb() * 1024 * 1024:
        return _refusal(name, "too_large")
    fmt = _format(stream)
    if fmt is None:
        active = upload_content.content_problem(stream, "", None) == "active"
        return _refusal(name, "active" if active else "not_image")
    problem = upload_content.content_problem(stream, fmt, "image")
    if problem == "bomb":
        return _refusal(name, "bomb")
    if problem is not None:
        return _refusal(name, "unreadable")
    try:
        stream.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = upload_content.max_image_pixels()
            with Image.open(stream) as image:
                image.load()
                exif = image.getexif()
                taken_at = _taken_at(exif)
                latitude, longitude = _position(exif)
                upright = ImageOps.exif_transpose(image)
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                jpeg = _encode(upright, MAX_EDGE)
                thumbnail = _encode(upright, THUMB_EDGE)
                width, height = upright.size
                if max(width, height) > MAX_EDGE:
                    scale = MAX_EDGE / max(width, height)
                    width, height = round(width * scale), round(height * scale)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _refusal(name, "bomb")
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        return _refusal(name, "unreadable")
    finally:
        stream.seek(0)
    return PreparedPhoto(name, jpeg, thumbnail, width, height, taken_at, latitude, longitude)


def prepare_all(uploads: Iterable[FileStorage | None]) -> list[PreparedPhoto]:
    """Every upload with a name, checked and re-encoded; raises ``PhotoRefused`` naming every
    photo refused (then nothing is kept)."""
    kept = [u for u in uploads or [] if u is not None and getattr(u, "filename", "")]
    results = [prepare(u) for u in kept]
    refused = [r for r in results if isinstance(r, str)]
    if refused:
        raise PhotoRefused(refused)
    return results  # type: ignore[return-value]


# -- files -----------------------------------------------------------------------------------
def folder(project_id: int) -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "worklogs" / str(int(project_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(project_id: int, photo: PreparedPhoto) -> tuple[str, str]:
    """Store the photo and its thumbnail under generated names; (stored, thumb) names."""
    stem = uuid.uuid4().hex
    base = folder(project_id)
    stored, thumb = f"{stem}.jpg", f"{stem}-thumb.jpg"
    (base / stored).write_bytes(photo.jpeg)
    (base / thumb).write_bytes(photo.thumbnail)
    return stored, thumb


_GENERATED = re.compile(r"^[0-9a-f]{32}(-thumb)?\.jpg$")


def path_of(project_id: int, name: str) -> Path | None:
    if not _GENERATED.match(name or ""):
        return None
    path = folder(project_id) / name
    return path if path.is_file() else None


def remove(project_id: int, names: Iterable[str]) -> None:
    for name in names:
        path = path_of(project_id, name)
        if path is not None:
            path.unlink(missing_ok=True)


# -- where it was taken ----------------------------------------------------------------------
EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_text(metres: float) -> str:
    """Rounded as people say it: tens of metres below 1 km, then 0.1 km, then whole km."""
    if metres < 1000:
        return _("%(n)s m", n=max(10, int(round(metres / 10.0)) * 10))
    if metres < 10_000:
        return _("%(n)s km", n=f"{metres / 1000:.1f}")
    return _("%(n)s km", n=int(round(metres / 1000)))


def where_and_when(photo: WorkLogPhoto, project: Project) -> str:
    """"拍摄于 2026-12-01 10:12，距项目地址约 300 米" from what the photo's EXIF said."""
    when = photo.taken_at.strftime("%Y-%m-%d %H:%M") if photo.taken_at is not None else None
    distance = position = None
    if photo.latitude is not None and photo.longitude is not None:
        if project.latitude is not None and project.longitude is not None:
            distance = distance_text(distance_m(photo.latitude, photo.longitude,
                                                project.latitude, project.longitude))
        else:
            position = f"{photo.latitude:.5f}, {photo.longitude:.5f}"
    if when and distance:
        return _("Taken at %(when)s, about %(distance)s from the project address",
                 when=when, distance=distance)
    if when and position:
        return _("Taken at %(when)s, at %(position)s", when=when, position=position)
    if when:
        return _("Taken at %(when)s", when=when)
    if distance:
        return _("About %(distance)s from the project address", distance=distance)
    if position:
        return _("Taken at position %(position)s", position=position)
    return ""
