"""Enumerations of the domain, stored by member name and shown by their Chinese label.

A member's value is its Chinese label (the term the bureau uses); ``str()`` passes it
through gettext, so the English catalogue can translate the same label.
"""
from __future__ import annotations

import enum

from flask_babel import gettext


class Label(str):
    """A label that translates itself whenever it is turned into text."""

    def __str__(self) -> str:  # noqa: D105
        try:
            return gettext(str.__str__(self))
        except (RuntimeError, KeyError):  # outside an app/request context
            return str.__str__(self)


class LabelledEnum(enum.Enum):
    def __new__(cls, label: str):
        obj = object.__new__(cls)
        obj._value_ = Label(label)
        return obj

    def __str__(self) -> str:
        return str(self.value)

    def __html__(self) -> str:
        return str(self.value)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.name, str(m.value)) for m in cls]


class RegionLevel(LabelledEnum):
    CITY = "市"
    COUNTY = "县（市、区）"
    TOWN = "镇（街道、园区）"


class OrgUnitKind(LabelledEnum):
    DEPARTMENT = "审批部门"
    UTILITY = "市政公用服务单位"
    AGENCY = "帮办代办服务机构"
    INTERMEDIARY = "中介服务机构"  # 测绘、设计、评估…: an owner unit of coordination requests


class ApplicantNature(LabelledEnum):
    ENTERPRISE = "企业"
    GOVERNMENT = "政府"
    INSTITUTION = "事业"
    ASSOCIATION = "社团"
    OTHER = "其他"


class FundingSource(LabelledEnum):
    GOVERNMENT = "政府"
    PRIVATE = "民资"
    HK_MACAO_TAIWAN = "港澳台"
    FOREIGN = "外资"
    OTHER = "其他"


class LandNature(LabelledEnum):
    ALLOCATED = "划拨"
    TRANSFERRED = "出让"
    COLLECTIVE = "集体"
    OWNED = "自有"
    OTHER = "其他"


class ListLevel(LabelledEnum):
    NATIONAL = "国家级"
    PROVINCIAL = "省级"
    CITY = "市级"
    COUNTY = "县级"
    OTHER = "其他"


class ProjectStatus(LabelledEnum):
    ACTIVE = "在办"
    COMPLETED = "已完成"
    TERMINATED = "已终止"


class TerminationReason(LabelledEnum):
    """The five reasons of source 004 「终止服务」."""

    APPLICANT_REQUEST = "服务对象主动要求终止"
    MATERIALS_UNFIXABLE = "申请材料不符合法定条件、标准，且不能补正"
    LAW_OR_POLICY_CHANGE = "因法律、法规修改、废止或国家政策调整不能继续审批"
    SERIOUS_VIOLATION = "出现重大责任事故或重大问题，造成严重影响"
    OTHER = "其他需要终止的情形"


class ItemStatus(LabelledEnum):
    NOT_STARTED = "未开始"
    ACCEPTED = "已受理"
    CORRECTING = "补正中"
    ACCEPTED_WITH_GAPS = "容缺受理"
    FINISHED = "已办结"
    REFUSED = "不予许可"
    WITHDRAWN = "已撤回"

    @property
    def is_open(self) -> bool:
        return self in (ItemStatus.ACCEPTED, ItemStatus.CORRECTING, ItemStatus.ACCEPTED_WITH_GAPS)


class DivisionOfLabour(LabelledEnum):
    ASSISTANT = "帮办员代办"
    APPLICANT = "企业自办"
    JOINT = "帮办员协助企业办理"


class FeeMode(LabelledEnum):
    FREE = "不收费"
    ONLINE = "网上缴纳"
    COUNTER = "窗口缴纳"
    BANK = "银行转账"


class TeamRole(LabelledEnum):
    LEAD = "牵头部门"
    MEMBER = "成员单位"
    UTILITY = "市政公用单位"
    AGENCY = "帮办机构"


class CalendarDayKind(LabelledEnum):
    HOLIDAY = "法定节假日"
    WORKDAY = "调休上班"


class CardLevel(LabelledEnum):
    YELLOW = "黄牌"
    RED = "红牌"


class CardSubject(LabelledEnum):
    ITEM = "审批事项"
    GAP_PROMISE = "容缺承诺"
    WORK_ORDER = "工单回复"
    WORKFLOW = "创新举措环节"
    INTAKE = "待配帮办员"  # a project on the list without a lead assistant (对接需求)
    DAILY_REPORT = "日志未报送"  # 每日报送: an assistant's project without a work log
    COORDINATION = "协调事项"  # a coordination request past its deadline
    DECISION = "议定事项"  # a meeting decision past its due date


class WorkOrderStatus(LabelledEnum):
    OPEN = "待回复"
    REPLIED = "已回复"
    RETURNED = "已退回"
    CLOSED = "已办结"


class JobStatus(LabelledEnum):
    QUEUED = "排队中"
    STARTED = "进行中"
    FINISHED = "已完成"
    FAILED = "失败"


class DeliveryStatus(LabelledEnum):
    PENDING = "待发送"
    SENT = "已发送"
    FAILED = "发送失败"


class WorkflowInstanceStatus(LabelledEnum):
    RUNNING = "进行中"
    COMPLETED = "已完成"
    CANCELLED = "已取消"


class MaterialStatus(LabelledEnum):
    """A material of an approval item's checklist (材料清单)."""

    RECEIVED = "已收到"
    MISSING = "缺少"
    DEFERRED = "容缺"  # accepted without it, the applicant promised a date


class ArchiveCategory(LabelledEnum):
    """资料归档: what an archive file is (seed 004 「资料归档」)."""

    PLAN = "服务方案"
    LEDGER = "台账"
    EVALUATION = "评价资料"
    CERTIFICATE = "证照"
    SITE_PHOTO = "现场照片"
    OTHER = "其他"


class WorkOrderOrigin(LabelledEnum):
    """Where a work order came from: a red/yellow card, or a 催办 raised by hand."""

    CARD = "红黄牌预警"
    MANUAL = "人工催办"


class UrgeCategory(LabelledEnum):
    """Why a 催办 is raised (the triage of seed 003 第十五条 「分类处置」)."""

    BEHIND_SCHEDULE = "进度滞后"
    MATERIALS = "材料问题"
    COORDINATION = "部门协调"
    ENTERPRISE = "企业原因"
    OTHER = "其他"


class UrgeProposalStatus(LabelledEnum):
    """An assistant's 催办 proposal, waiting for the dispatcher's decision."""

    PENDING = "待调度"
    DISPATCHED = "已派单"
    DECLINED = "不予派单"
class WorkLogKind(LabelledEnum):
    """帮办代办日志: how the assistant worked that day (seed 003 第八条)."""

    VISIT = "上门"
    PHONE = "电话"
    MEETING = "会议"
    ONLINE = "网上"
    OTHER = "其他"
