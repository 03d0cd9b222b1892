"""The one way a file leaves the server: every download is audited, then sent as an
attachment (the download centre's results, a measure's attachments)."""
from __future__ import annotations

from flask import send_file

from app.extensions import db
from app.services import audit


def send_download(path, download_name: str, model: str, object_id: object):
    """Record who downloaded which file of which object (committed: the record must stay
    even if the transfer breaks off), then send it as an attachment."""
    audit.record_event(db.session, "download", model, object_id, {"file": download_name},
                       object_label=download_name)
    db.session.commit()
    return send_file(path, as_attachment=True, download_name=download_name)
