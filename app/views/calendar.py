"""Screens of the working-day clock: the holiday calendar and the 补正 corrections of an
approval item, plus the remaining/overdue columns the item lists show."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape
from sqlalchemy import false
from wtforms import Field
from wtforms.validators import ValidationError

from app import clock
from app.extensions import db
from app.models import ApprovalItem, CalendarDay, CalendarDayKind, ItemCorrection
from app.security import roles
from app.security.scope import get_in_scope
from app.services import calendar, deadlines
from app.services.errors import DomainValidationError

from . import badges
from .base import ScopedModelView, display_value
from .labels import LABELS

# -- the remaining / overdue columns of the approval item lists -----------------------

DEADLINE_LABELS = {
    "remaining_working_days": _("Working days left"),
    "overdue_working_days": _("Working days overdue"),
}


DEADLINE_FORMATTERS = {
    "remaining_working_days": badges.remaining_cell,
    "overdue_working_days": badges.overdue_badge,
}


# -- the holiday calendar ---------------------------------------------------------------

class DayInYear(BaseFilter):
    """Days of one year (the value is the year; a full date picks its year)."""

    name = _("Year is")
    arg_name = None

    def apply(self, query, value):
        try:
            year = int(str(value).strip()[:4])
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        except (TypeError, ValueError):
            return query.filter(false())
        return query.filter(CalendarDay.day >= first, CalendarDay.day <= last)


class WorkdayOnWeekend:
    """A 调休 working day is a Saturday or Sunday: a weekday is a working day already."""

    def __call__(self, form, field) -> None:
        day = form["day"].data if "day" in form else None
        if field.data == CalendarDayKind.WORKDAY and isinstance(day, dt.date) and day.weekday() < 5:
            raise ValidationError(gettext(
                "An adjusted working day must be a Saturday or Sunday; "
                "Monday to Friday are working days already."))


def _day_with_weekday(day):
    if not isinstance(day, dt.date):
        return display_value(day)
    return f"{day.isoformat()} {format_date(day, 'EEEE')}"


class CalendarDayView(ScopedModelView):
    """Public holidays on weekdays and weekend working days (调休上班), by date. Each
    December the bureau admin enters the next year's schedule here."""

    datamodel = SQLAInterface(CalendarDay)
    class_permission_name = roles.CALENDAR
    label_columns = {**LABELS, "day": _("Date"), "kind": _("Kind of day"),
                     "name": _("Holiday")}
    description_columns = {
        "kind": _("Only the exceptions to Monday–Friday are entered: a public holiday that "
                  "falls on a weekday, or a Saturday/Sunday worked in lieu."),
        "name": _("E.g. 国庆节, 春节"),
    }
    list_title = _("Holidays and adjusted working days")
    show_title = _("Calendar day")
    add_title = _("New calendar day")
    edit_title = _("Edit calendar day")
    list_columns = ["day", "kind", "name"]
    add_columns = edit_columns = show_columns = ["day", "kind", "name"]
    search_columns = ["day", "kind", "name"]
    order_columns = ["day", "kind", "name"]
    base_order = ("day", "desc")  # next year's schedule, the one being entered, first
    page_size = 50
    list_template = "calendar/day_list.html"
    validators_columns = {"kind": [WorkdayOnWeekend()]}
    formatters_columns = {"day": _day_with_weekday}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # "Year is" next to FAB's date filters; both lists must keep the same order, the
        # search form posts the filter's position.
        self._filters._all_filters["day"].append(DayInYear("day", self.datamodel))
        self._filters._search_filters["day"].append(DayInYear("day", self.datamodel))
        self.year_filter_index = len(self._filters._all_filters["day"]) - 1

    # The page lists the years entered and the ones still missing, each a link.
    def year_links(self) -> list[dict]:
        this_year = clock.today().year
        known = calendar.known_years()
        years = sorted(known | {this_year, this_year + 1})
        incomplete = calendar.incomplete_years(years)
        base = url_for(f"{self.__class__.__name__}.list")
        return [{"year": y, "entered": y in known, "complete": y not in incomplete,
                 "url": f"{base}?_flt_{self.year_filter_index}_day={y}"} for y in years]

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["calendar_years"] = self.year_links()
        return super().render_template(template, **kwargs)

    # Every edit moves the due dates computed from the calendar, in FAB's one transaction
    # (the command ``deadlines.calendar_edit``), and drops the cached calendar once saved.
    def _refresh_due_dates(self, item, deleting: bool = False) -> None:
        session = self.datamodel.session
        try:
            deadlines.calendar_edit(session, item, deleting=deleting)
        except Exception:
            # FAB only flashes a hook's error: the due dates already moved must not stay
            # in the session for a later commit.
            session.rollback()
            raise

    def pre_add(self, item):
        super().pre_add(item)
        self._refresh_due_dates(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._refresh_due_dates(item)

    def pre_delete(self, item):
        self._refresh_due_dates(item, deleting=True)

    def post_add(self, item):
        calendar.invalidate()

    def post_update(self, item):
        calendar.invalidate()

    def post_delete(self, item):
        calendar.invalidate()


# -- 补正 corrections of an approval item ----------------------------------------------

class ItemRefWidget:
    def __call__(self, field, **kwargs):
        value = "" if field.data is None else escape(field.data.id)
        text = escape(str(field.data)) if field.data is not None else escape(
            gettext("Open the approval item and add the correction from its page."))
        return Markup(f'<input type="hidden" id="{escape(field.id)}" name="{escape(field.name)}" '
                      f'value="{value}"><p class="form-control-static">{text}</p>')


class ItemRefField(Field):
    """The approval item a correction belongs to: given by the item's page (the related
    view's filter), never a dropdown of every item."""

    widget = ItemRefWidget()

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0]:
            try:
                pk = int(valuelist[0])
            except ValueError:
                raise ValueError(gettext("Not a valid choice")) from None
            self.data = get_in_scope(db.session, ApprovalItem, pk)
            if self.data is None:
                raise ValueError(gettext("Not a valid choice"))

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(gettext(
                "Open the approval item and add the correction from its page."))

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)


class ReceivedAfterRequested:
    def __call__(self, form, field) -> None:
        requested = form["requested_on"].data if "requested_on" in form else None
        if field.data and requested and field.data < requested:
            raise ValidationError(gettext(
                "The corrections cannot arrive before they were requested."))


class OneOpenCorrection:
    """An item waits for one set of corrections at a time."""

    def __call__(self, form, field) -> None:
        item = form["item"].data if "item" in form else None
        if item is None or getattr(form, "_id", None) is not None:
            return
        received = form["received_on"].data if "received_on" in form else None
        if received is None and any(c.received_on is None for c in item.corrections):
            raise ValidationError(gettext(
                "The item is already waiting for corrections: enter the date they arrived "
                "first."))


class ItemCorrectionView(ScopedModelView):
    """补正: corrections requested from the applicant. The item's clock stops from the
    day they are requested to the day they arrive (both included); saving here
    recomputes the item's due date and its 补正中 status."""

    datamodel = SQLAInterface(ItemCorrection)
    class_permission_name = roles.APPROVAL_ITEM
    label_columns = {**LABELS, "item": _("Approval item"),
                     "requested_on": _("Corrections requested on"),
                     "received_on": _("Corrections received on"), "note": _("Note")}
    description_columns = {
        "requested_on": _("The item's clock stops on this day."),
        "received_on": _("Leave empty while waiting; the clock restarts the working day "
                         "after this date."),
    }
    list_title = _("Corrections (补正)")
    show_title = _("Correction")
    add_title = _("Request corrections")
    edit_title = _("Edit correction")
    list_columns = ["requested_on", "received_on", "note"]
    show_columns = ["item", "requested_on", "received_on", "note", "created_at", "updated_at"]
    add_columns = ["item", "requested_on", "received_on", "note"]
    edit_columns = ["requested_on", "received_on", "note"]
    search_columns = ["requested_on", "received_on", "note"]
    base_order = ("requested_on", "desc")
    validators_columns = {"received_on": [ReceivedAfterRequested()],
                          "requested_on": [OneOpenCorrection()]}
    add_form_extra_fields = {"item": ItemRefField(_("Approval item"))}

    @staticmethod
    def _recompute(correction, removing: bool = False) -> None:
        item = correction.item
        if item is None:
            return
        others = [c for c in deadlines.corrections_of(item) if c is not correction]
        deadlines.corrections_changed(item, others if removing else others + [correction])

    def pre_add(self, item):
        super().pre_add(item)
        if item.item is None:
            raise DomainValidationError({"item": gettext(
                "Open the approval item and add the correction from its page.")})
        self._recompute(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._recompute(item)

    def pre_delete(self, item):
        self._recompute(item, removing=True)
