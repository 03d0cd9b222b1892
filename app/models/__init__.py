"""All models, imported in dependency order so metadata is complete for Alembic."""
from .applicants import Applicant  # noqa: F401
from .approvals import ApprovalItem, ItemTemplate  # noqa: F401
from .archive import ArchiveFile  # noqa: F401
from .audit import AuditRecord  # noqa: F401
from .base import Model  # noqa: F401
from .calendar import CalendarDay  # noqa: F401
from .coordination import (  # noqa: F401
                       CoordinationCategory,
                       CoordinationLevel,
                       CoordinationOwner,
                       CoordinationRequest,
                       CoordinationStatus,
                       CoordinationStep,
                       RegionLeader,
)
from .corrections import ItemCorrection  # noqa: F401
from .enums import *  # noqa: F401,F403
from .item_materials import ItemMaterial  # noqa: F401
from .jobs import JobRecord  # noqa: F401
from .meetings import (  # noqa: F401
                       AgendaItem,
                       Decision,
                       DecisionStatus,
                       Meeting,
                       MeetingAttendee,
                       MeetingKind,
                       TaskForceMember,
                       TaskForceRole,
)
from .notifications import Delivery, Notification  # noqa: F401
from .projects import Project, ProjectAssistant, ServiceTeamMember  # noqa: F401
from .regions import OrgUnit, Region  # noqa: F401
from .service_plans import (  # noqa: F401
                       IntakeRecord,
                       PlanAssistant,
                       PlanItem,
                       PlanMaterial,
                       PlanOpinion,
                       PlanStage,
                       PlanStatus,
                       ServicePlan,
)
from .stages import STANDARD_STAGES, Stage  # noqa: F401
from .urges import UrgeProposal  # noqa: F401
from .users import AppUser, PasswordHistory  # noqa: F401
from .warnings import WarningCard, WorkOrder, WorkOrderStep  # noqa: F401
from .work_logs import WorkLog, WorkLogPhoto  # noqa: F401
from .workflow import (  # noqa: F401
                       MeasureSetting,
                       WorkflowDefinition,
                       WorkflowInstance,
                       WorkflowItemLink,
                       WorkflowStep,
)
