"""Screens and API for the region tree, departments/units and applicants."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from wtforms import BooleanField, SelectMultipleField
from wtforms.validators import Optional

from app.models import Applicant, ArchiveCategory, OrgUnit, Region
from app.security import roles
from app.services import credit_codes

from .base import ScopedModelRestApi, ScopedModelView
from .checks import FormCheck, schema_check
from .labels import LABELS


class RegionView(ScopedModelView):
    datamodel = SQLAInterface(Region)
    class_permission_name = roles.REGION
    label_columns = LABELS
    list_title = _("Regions")
    show_title = add_title = edit_title = _("Region")
    list_columns = ["code", "name", "level", "parent", "warning_days"]
    search_columns = ["code", "name", "level", "parent"]
    add_columns = edit_columns = ["code", "name", "level", "parent", "warning_days",
                                  "intake_days", "commitment_allowed", "archive_required"]
    show_columns = ["code", "name", "level", "parent", "warning_days", "intake_days",
                    "commitment_allowed", "archive_required", "path"]
    base_order = ("path", "asc")
    # 每日报送 and site photos (app/services/daily_reports.py, app/services/site_photos.py).
    add_columns = edit_columns = add_columns + ["daily_report_days", "photo_strip_location"]
    show_columns = show_columns + ["daily_report_days", "photo_strip_location"]
    formatters_columns = {"archive_required": lambda names: "、".join(
        str(ArchiveCategory[n].value) for n in names or [] if n in ArchiveCategory.__members__)}
    # 资料归档: the categories a project must hold before it is closed (empty: the default).
    add_form_extra_fields = edit_form_extra_fields = {
        "archive_required": SelectMultipleField(
            _("Archive categories required"), choices=ArchiveCategory.choices,
            validators=[Optional()],
            description=_("Nothing chosen: 服务方案, 台账 and 评价资料.")),
        # An unticked box is "no", not a missing value (FAB would require it).
        "commitment_allowed": BooleanField(_("告知承诺 allowed"), validators=[Optional()]),
    }
    add_form_extra_fields = edit_form_extra_fields = {**add_form_extra_fields, **{
        "photo_strip_location": BooleanField(LABELS["photo_strip_location"],
                                             validators=[Optional()])}}


class OrgUnitView(ScopedModelView):
    datamodel = SQLAInterface(OrgUnit)
    class_permission_name = roles.ORG_UNIT
    label_columns = LABELS
    list_title = _("Departments and units")
    show_title = add_title = edit_title = _("Department / unit")
    list_columns = ["name", "kind", "region", "contact", "phone"]
    search_columns = ["name", "kind", "region"]
    add_columns = edit_columns = show_columns = ["name", "short_name", "kind", "region",
                                                 "contact", "phone"]
    base_order = ("name", "asc")


class ApplicantView(ScopedModelView):
    datamodel = SQLAInterface(Applicant)
    class_permission_name = roles.APPLICANT
    label_columns = LABELS
    list_title = _("Applicants")
    show_title = add_title = edit_title = _("Applicant")
    list_columns = ["name", "credit_code", "nature", "region"]
    search_columns = ["name", "credit_code", "nature", "region"]
    add_columns = edit_columns = show_columns = ["name", "credit_code", "nature", "address",
                                                 "legal_representative", "region"]
    base_order = ("name", "asc")
    # The check character is checked here for the message next to the field; the flush
    # rule (app/services/applicants.py) holds it on every other write path.
    validators_columns = {"credit_code": [FormCheck(credit_codes.problem)]}


class RegionApi(ScopedModelRestApi):
    resource_name = "region"
    datamodel = SQLAInterface(Region)
    class_permission_name = roles.REGION
    list_columns = ["id", "code", "name", "level", "parent.id", "path"]
    show_columns = list_columns
    add_columns = edit_columns = ["code", "name", "level", "parent", "warning_days"]


class OrgUnitApi(ScopedModelRestApi):
    resource_name = "org_unit"
    datamodel = SQLAInterface(OrgUnit)
    class_permission_name = roles.ORG_UNIT
    list_columns = ["id", "name", "short_name", "kind", "region.id", "region.name"]
    show_columns = list_columns + ["contact", "phone"]
    add_columns = edit_columns = ["name", "short_name", "kind", "region", "contact", "phone"]


class ApplicantApi(ScopedModelRestApi):
    resource_name = "applicant"
    datamodel = SQLAInterface(Applicant)
    class_permission_name = roles.APPLICANT
    list_columns = ["id", "name", "credit_code", "nature", "region.id", "region.name"]
    show_columns = list_columns + ["address", "legal_representative"]
    add_columns = edit_columns = ["name", "credit_code", "nature", "address",
                                  "legal_representative", "region"]
    validators_columns = {"credit_code": schema_check(credit_codes.problem)}


