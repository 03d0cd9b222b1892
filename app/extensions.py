"""Extensions created unbound; create_app attaches them to an application."""
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect

db = SQLA()
appbuilder = AppBuilder(update_perms=True)
# Every form POST checks its token; FAB exempts its JWT-protected REST APIs by itself.
csrf = CSRFProtect()
