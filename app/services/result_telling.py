"""告知结果: an item finished or refused is told to the enterprise, and the telling is
recorded on the item (when, to whom, by whom).

The enterprise users get an in-app notification (and, through ``notify``, a delivery on
every configured outside channel: e-mail, webhook). A company without an account is not
told by the product: the item keeps ``result_told_at`` empty and the caller says so.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import ApprovalItem, AppUser, ItemStatus

from .notifications import notify
from .people import person_name
from .project_parties import enterprise_users

ITEM_LINK = "/approvalitemview/show/"


def tell_result(session: Session, item: ApprovalItem, user: AppUser | None) -> list[AppUser]:
    """Tell the project's enterprise users the item's result; returns whom it told."""
    project = item.project
    recipients = enterprise_users(session, project)
    if not recipients:
        return []
    if item.status == ItemStatus.REFUSED:
        title = _("Not approved: %(item)s", item=item.name)
        body = _("%(item)s of %(project)s was not approved. Reason: %(reason)s",
                 item=item.name, project=project.name, reason=item.refusal_reason or "")
    else:
        title = _("Approved: %(item)s", item=item.name)
        body = _("%(item)s of %(project)s was finished on %(day)s. Result: %(result)s; "
                 "certificate no.: %(no)s", item=item.name, project=project.name,
                 day=item.finished_on.isoformat() if item.finished_on else "",
                 result=item.result or "", no=item.certificate_no or "—")
    now = utcnow()
    notify(session, [u.id for u in recipients], f"result:{item.id}:{now.isoformat()}",
           title, body, f"{ITEM_LINK}{item.id}")
    item.result_told_at = now
    item.result_told_to = "、".join(f"{person_name(u)}（{u.username}）" for u in recipients)
    item.result_told_by_id = user.id if user is not None else None
    return recipients
