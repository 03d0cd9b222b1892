"""Extensions created unbound; create_app attaches them to an application."""
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate

db = SQLA()
appbuilder = AppBuilder(update_perms=True)
migrate = Migrate()
