"""Demo data: one city (南通市), two counties with towns, departments, templates, applicants,
about twenty projects in every stage, and one user per role per county.

``load_demo`` is idempotent: every row is looked up by its natural key first (region code,
org unit (region, name), template (region, stage, name), applicant credit code, project
code, username) and only missing rows are added; rows that exist are left as they are.
All dates hang off the fixed ``REFERENCE_DATE`` so two loads produce the same data.

``generate_bulk`` adds a large synthetic data set for benchmarks with Core bulk inserts
(no ORM objects, so the audit hook does not see them).
"""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import (
    Applicant,
    ApplicantNature,
    ApprovalItem,
    AppUser,
    AuditRecord,
    CardLevel,
    CardSubject,
    DivisionOfLabour,
    FeeMode,
    FundingSource,
    ItemStatus,
    ItemTemplate,
    LandNature,
    ListLevel,
    OrgUnit,
    OrgUnitKind,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    RegionLevel,
    ServiceTeamMember,
    Stage,
    TeamRole,
    TerminationReason,
    WarningCard,
    WorkOrder,
    WorkOrderStatus,
    WorkOrderStep,
)
from app.security import roles
from app.services import credit_codes, item_codes
from app.services.calendar import add_working_days, is_working_day
from app.services.projects import fill_due_on, instantiate_items
from app.services.reference import ensure_standard_stages
from app.services.regions import save_region

from .coordination import load_demo_coordination

# "Today" of the demo: every date below is computed from it.
REFERENCE_DATE = dt.date(2026, 11, 2)

CITY = ("320600", "南通市")


@dataclass(frozen=True)
class CountySpec:
    key: str
    code: str
    name: str
    towns: tuple[tuple[str, str], ...]


COUNTIES = (
    CountySpec("a", "320685", "海安市", (("320685001", "城东镇"),
                                        ("320685102", "李堡镇"),
                                        ("320685401", "海安高新技术产业开发区"))),
    CountySpec("b", "320623", "如东县", (("320623001", "掘港街道"),
                                        ("320623105", "长沙镇"),
                                        ("320623401", "洋口港经济开发区"))),
)
COUNTY_BY_KEY = {c.key: c for c in COUNTIES}

# Unit names are stored with the county's name in front ("海安市住房和城乡建设局");
# the short name is the bare one.
DEPARTMENTS = (
    ("发展和改革委员会", "发改委"),
    ("自然资源和规划局", "自然资源局"),
    ("住房和城乡建设局", "住建局"),
    ("生态环境局", "生态环境局"),
    ("行政审批局", "行政审批局"),
    ("水务局", "水务局"),
    ("应急管理局", "应急局"),
    ("人民防空办公室", "人防办"),
    ("消防救援大队", "消防大队"),
)
UTILITIES = (
    ("供水公司", "供水"),
    ("供电公司", "供电"),
    ("燃气公司", "燃气"),
    ("电信公司", "电信"),
    ("广电网络公司", "广电"),
)
AGENCY = ("重大项目帮办代办服务中心", "帮办中心")
DEPT_HOUSING = "住房和城乡建设局"  # the demo department user's unit


@dataclass(frozen=True)
class TemplateSpec:
    stage: str
    name: str
    department: str
    days: int
    fee_mode: FeeMode
    fees: str | None
    labour: DivisionOfLabour
    materials: str
    result: str
    certificate: str | None  # format string, see _certificate()


_A, _E, _J = DivisionOfLabour.ASSISTANT, DivisionOfLabour.APPLICANT, DivisionOfLabour.JOINT

TEMPLATES = (
    TemplateSpec("planning", "项目策划生成（多规合一业务协同）", "自然资源和规划局", 10,
                 FeeMode.FREE, None, _J,
                 "1. 项目策划生成申请表\n2. 项目建议书或项目概况说明\n3. 拟选址位置示意图\n"
                 "4. 投资主体意向材料", "出具策划生成协同意见", None),
    TemplateSpec("company", "企业设立登记", "行政审批局", 1, FeeMode.FREE, None, _A,
                 "1. 公司登记（备案）申请书\n2. 公司章程\n3. 股东主体资格证明\n"
                 "4. 法定代表人、董事、监事和经理的任职文件\n5. 住所使用证明",
                 "准予设立登记", None),
    TemplateSpec("land", "企业投资项目备案", "发展和改革委员会", 1, FeeMode.FREE, None, _A,
                 "1. 项目备案信息表（投资项目在线审批监管平台填报）\n2. 企业营业执照\n"
                 "3. 项目单位信息真实性承诺书", "予以备案", "{project}"),
    TemplateSpec("land", "建设项目用地预审与选址意见书", "自然资源和规划局", 20, FeeMode.FREE,
                 None, _J,
                 "1. 建设项目用地预审与选址申请表\n2. 建设项目用地预审与选址申请报告\n"
                 "3. 项目建议书批复文件或备案证明\n4. 标注项目用地范围的土地利用现状图和国土空间规划图\n"
                 "5. 节约集约用地论证分析专章（如需）", "核发用地预审与选址意见书",
                 "用字第{county}{year}{n:05d}号"),
    TemplateSpec("land", "建设用地规划许可证", "自然资源和规划局", 5, FeeMode.FREE, None, _A,
                 "1. 建设用地规划许可申请表\n2. 国有建设用地使用权出让合同或划拨决定书\n"
                 "3. 宗地界址坐标及用地红线图", "准予许可", "地字第{county}{year}{n:05d}号"),
    TemplateSpec("land", "环境影响评价审批", "生态环境局", 20, FeeMode.FREE, None, _J,
                 "1. 建设项目环境影响报告书（表）审批申请书\n2. 环境影响报告书（表）全本\n"
                 "3. 公众参与说明（报告书项目）\n4. 删除涉密内容的公开版本及说明",
                 "予以批复", "{short}环审〔{year}〕{n}号"),
    TemplateSpec("land", "水土保持方案审批", "水务局", 15, FeeMode.BANK, None, _E,
                 "1. 水土保持方案审批申请\n2. 水土保持方案报告书（表）\n3. 水土保持补偿费缴纳凭证",
                 "准予许可", "{short}水许可〔{year}〕{n}号"),
    TemplateSpec("engineering", "建设工程规划许可证", "自然资源和规划局", 10, FeeMode.FREE, None,
                 _A,
                 "1. 建设工程规划许可申请表\n2. 建设工程设计方案总平面图\n"
                 "3. 建筑单体设计图（平面、立面、剖面）\n4. 土地权属证明\n5. 设计方案审查意见",
                 "准予许可", "建字第{county}{year}{n:05d}号"),
    TemplateSpec("engineering", "施工图审查", "住房和城乡建设局", 10, FeeMode.FREE, None, _A,
                 "1. 施工图设计文件（全套电子图纸）\n2. 岩土工程勘察报告\n3. 勘察、设计单位资质证明\n"
                 "4. 建设工程规划许可证", "审查合格", "施审{county}-{year}-{n:04d}"),
    TemplateSpec("engineering", "人防工程防护设计审查", "人民防空办公室", 5, FeeMode.BANK, None,
                 _A,
                 "1. 人防工程建设审批申请表\n2. 人防工程施工图\n3. 防空地下室建设面积计算书\n"
                 "4. 易地建设费缴纳凭证（如需）", "审查通过", "{short}人防审〔{year}〕{n}号"),
    TemplateSpec("engineering", "建设项目安全设施设计审查", "应急管理局", 20, FeeMode.FREE, None,
                 _E,
                 "1. 安全设施设计审查申请\n2. 安全设施设计专篇\n3. 安全预评价报告\n4. 设计单位资质证明",
                 "审查同意", "{short}应急审〔{year}〕{n}号"),
    TemplateSpec("construction", "建筑工程施工许可证", "住房和城乡建设局", 3, FeeMode.FREE, None,
                 _A,
                 "1. 建筑工程施工许可证申请表\n2. 建设工程规划许可证\n3. 施工合同及中标通知书\n"
                 "4. 施工图审查合格书\n5. 建设资金已落实承诺书\n6. 工程质量安全监督手续",
                 "准予许可", "{county}{date:%Y%m%d}{n:02d}01"),
    TemplateSpec("completion", "竣工联合验收", "住房和城乡建设局", 10, FeeMode.FREE, None, _J,
                 "1. 竣工联合验收申请表\n2. 工程竣工验收报告\n3. 规划条件核实测绘成果\n"
                 "4. 消防验收资料\n5. 人防工程竣工资料\n6. 城建档案验收资料",
                 "联合验收合格", "联验{county}-{year}-{n:04d}"),
    TemplateSpec("completion", "公众聚集场所投入使用、营业前消防安全检查", "消防救援大队", 10,
                 FeeMode.FREE, None, _E,
                 "1. 消防安全检查申请表\n2. 营业执照\n3. 消防安全制度和灭火应急疏散预案\n"
                 "4. 场所平面布置图", "准予投入使用", "{short}消安检字〔{year}〕第{n:04d}号"),
    TemplateSpec("registration", "不动产首次登记", "自然资源和规划局", 5, FeeMode.ONLINE, "550.00",
                 _A,
                 "1. 不动产登记申请书\n2. 申请人身份证明\n3. 不动产权属来源证明\n"
                 "4. 建设工程符合规划的材料\n5. 竣工验收材料\n6. 不动产权籍调查成果",
                 "准予登记", "苏（{year}）{county_name}不动产权第{n:07d}号"),
)


@dataclass(frozen=True)
class ApplicantSpec:
    county: str
    body: str  # the first 17 characters of the credit code; the check character is computed
    name: str
    nature: ApplicantNature
    address: str
    legal: str


APPLICANTS = (
    ApplicantSpec("a", "91320685MA1MY7T2K", "江苏海安智造装备有限公司", ApplicantNature.ENTERPRISE,
                  "海安高新技术产业开发区长江西路88号", "顾建华"),
    ApplicantSpec("a", "913206857412836X5", "海安市城建开发投资集团有限公司",
                  ApplicantNature.ENTERPRISE, "海安市中坝南路19号", "吴国平"),
    ApplicantSpec("a", "91320685MA1Q4HN8W", "南通远东新材料科技有限公司", ApplicantNature.ENTERPRISE,
                  "海安市李堡镇工业集中区6号", "陈立新"),
    ApplicantSpec("a", "11320685014195823", "海安市教育体育局", ApplicantNature.GOVERNMENT,
                  "海安市长江中路106号", "许文军"),
    ApplicantSpec("b", "91320623MA1N2RL5D", "如东洋口港能源发展有限公司", ApplicantNature.ENTERPRISE,
                  "如东县洋口港经济开发区黄海大道1号", "周海涛"),
    ApplicantSpec("b", "91320623MA1X3UGQ8", "江苏如东新能源装备制造有限公司",
                  ApplicantNature.ENTERPRISE, "如东县长沙镇临港工业区", "曹志刚"),
    ApplicantSpec("b", "913206236082712P4", "如东县城市建设投资有限公司", ApplicantNature.ENTERPRISE,
                  "如东县掘港街道青园北路2号", "缪永红"),
    ApplicantSpec("b", "12320623467480520", "如东县人民医院", ApplicantNature.INSTITUTION,
                  "如东县掘港街道人民路2号", "季卫东"),
)


@dataclass(frozen=True)
class ProjectSpec:
    county: str
    serial: int
    year: int  # filing year, part of the code
    industry: str  # two-digit national-economy industry code, part of the code
    kind: str  # 01 审批 / 02 核准 / 03 备案, part of the code
    name: str
    applicant: int  # index into the county's applicants
    town: int | None  # index into the county's towns
    investment: str
    funding: FundingSource
    land: LandNature
    floor_area: str | None
    level: ListLevel
    list_year: int
    stage: str  # current stage code
    lag: int  # calendar days since the current stage began
    start: int  # planned start, days from REFERENCE_DATE (once permitted: a week after the permit)
    months: int  # planned construction period
    use: str
    status: ProjectStatus = ProjectStatus.ACTIVE
    reason: TerminationReason | None = None
    note: str | None = None

    @property
    def code(self) -> str:
        county = COUNTY_BY_KEY[self.county].code
        return f"{self.year}-{county}-{self.industry}-{self.kind}-{self.serial:06d}"


_F, _L, _P = FundingSource, LandNature, ListLevel

PROJECTS = (
    ProjectSpec("a", 118, 2026, "34", "03", "智能数控装备产业园一期项目", 0, 2, "85000", _F.PRIVATE,
                _L.TRANSFERRED, "12.6", _P.PROVINCIAL, 2026, "construction", 2, -20, 24,
                "新建标准化厂房及研发楼，年产智能数控装备1200台（套）"),
    ProjectSpec("a", 57, 2025, "47", "01", "城东片区城市更新改造项目", 1, 0, "126000", _F.GOVERNMENT,
                _L.ALLOCATED, "18.2", _P.CITY, 2025, "completion", 12, -400, 12,
                "老旧小区改造及配套道路、管网、公共服务设施建设"),
    ProjectSpec("a", 203, 2026, "26", "03", "远东新材料年产5万吨高性能复合材料项目", 2, 1, "52000", _F.PRIVATE,
                _L.TRANSFERRED, "6.8", _P.CITY, 2026, "land", 30, 90, 18,
                "新建生产车间、仓库及配套设施，年产高性能复合材料5万吨"),
    ProjectSpec("a", 31, 2025, "83", "01", "海安市第二实验中学新建工程", 3, None, "38000",
                _F.GOVERNMENT, _L.ALLOCATED, "7.4", _P.COUNTY, 2025, "registration", 0, -540, 12,
                "新建教学楼、实验楼、体艺馆等，办学规模60个班", ProjectStatus.COMPLETED),
    ProjectSpec("a", 241, 2026, "38", "03", "新能源电池配套产业园项目", 2, 2, "150000",
                _F.HK_MACAO_TAIWAN, _L.TRANSFERRED, "22.5", _P.PROVINCIAL, 2026, "planning", 8,
                240, 30, "建设动力电池结构件及储能配套产品生产线"),
    ProjectSpec("a", 256, 2026, "59", "03", "海安港物流中心仓储项目", 1, None, "24000",
                _F.GOVERNMENT, _L.TRANSFERRED, "4.2", _P.COUNTY, 2026, "company", 3, 180, 15,
                "新建高标准仓库及配套冷链物流设施"),
    ProjectSpec("a", 142, 2026, "73", "03", "智造装备研发中心项目", 0, 0, "18000", _F.PRIVATE,
                _L.OWNED, "3.1", _P.COUNTY, 2025, "engineering", 16, 45, 20,
                "利用自有土地新建研发中心及中试车间"),
    ProjectSpec("a", 166, 2026, "13", "03", "李堡镇农副产品精深加工项目", 2, 1, "9000", _F.PRIVATE,
                _L.COLLECTIVE, "1.6", _P.OTHER, 2025, "land", 40, 120, 12,
                "新建农副产品精深加工车间及冷库"),
    ProjectSpec("a", 219, 2026, "46", "01", "海安市城市污水处理厂提标扩建工程", 1, None, "32000",
                _F.GOVERNMENT, _L.ALLOCATED, "2.2", _P.CITY, 2026, "engineering", 33, 30, 16,
                "新增处理规模5万吨/日，出水达到准IV类标准"),
    ProjectSpec("a", 228, 2026, "70", "01", "海安高新区人才公寓项目", 1, 2, "41000", _F.GOVERNMENT,
                _L.ALLOCATED, "9.8", _P.COUNTY, 2026, "land", 18, 150, 24,
                "新建人才公寓1200套及配套商业、停车设施"),
    ProjectSpec("b", 12, 2026, "45", "02", "洋口港LNG接收站扩建项目", 0, 2, "680000", _F.OTHER,
                _L.TRANSFERRED, "8.5", _P.NATIONAL, 2026, "construction", 3, -10, 36,
                "新建4座22万立方米LNG储罐及配套工艺设施"),
    ProjectSpec("b", 48, 2025, "34", "03", "海上风电装备制造基地项目", 1, 2, "210000", _F.PRIVATE,
                _L.TRANSFERRED, "26.0", _P.PROVINCIAL, 2025, "completion", 25, -420, 12,
                "年产海上风电塔筒、管桩等装备300套"),
    ProjectSpec("b", 73, 2026, "84", "01", "如东县人民医院新院区建设工程", 3, 0, "160000",
                _F.GOVERNMENT, _L.ALLOCATED, "21.3", _P.CITY, 2025, "engineering", 11, 60, 36,
                "新建门急诊医技楼、住院楼，设置床位1200张"),
    ProjectSpec("b", 105, 2026, "48", "01", "掘港老城区排水防涝提升工程", 2, 0, "28000",
                _F.GOVERNMENT, _L.ALLOCATED, None, _P.COUNTY, 2026, "land", 24, 75, 12,
                "改造雨污管网38公里，新建排涝泵站3座"),
    ProjectSpec("b", 117, 2026, "44", "03", "长沙镇光伏储能一体化项目", 1, 1, "56000", _F.PRIVATE,
                _L.COLLECTIVE, "0.8", _P.CITY, 2026, "planning", 5, 200, 12,
                "建设200MW渔光互补光伏电站及50MW/100MWh储能设施"),
    ProjectSpec("b", 126, 2026, "26", "02", "洋口港化工新材料项目", 0, 2, "95000", _F.FOREIGN,
                _L.TRANSFERRED, "5.9", _P.PROVINCIAL, 2026, "company", 2, 220, 24,
                "年产10万吨特种聚酯新材料"),
    ProjectSpec("b", 64, 2025, "70", "01", "如东县保障性租赁住房项目", 2, None, "47000", _F.GOVERNMENT,
                _L.ALLOCATED, "11.2", _P.COUNTY, 2025, "registration", 4, -450, 12,
                "新建保障性租赁住房860套"),
    ProjectSpec("b", 88, 2026, "55", "03", "风电运维母港配套工程", 0, 2, "33000", _F.PRIVATE,
                _L.TRANSFERRED, "1.9", _P.COUNTY, 2026, "construction", 1, 10, 14,
                "新建运维码头泊位2个及运维基地"),
    ProjectSpec("b", 139, 2026, "52", "03", "掘港街道智慧农贸市场项目", 2, 0, "6500", _F.OTHER,
                _L.TRANSFERRED, "1.1", _P.OTHER, 2026, "land", 20, 90, 10,
                "新建智慧农贸市场及配套停车场", ProjectStatus.TERMINATED,
                TerminationReason.APPLICANT_REQUEST, "企业投资计划调整，书面申请终止帮办代办服务"),
    ProjectSpec("b", 151, 2026, "83", "01", "如东县职业教育中心实训楼项目", 2, None, "12000",
                _F.GOVERNMENT, _L.ALLOCATED, "2.4", _P.COUNTY, 2026, "land", 9, 100, 14,
                "新建实训楼及配套设施"),
)

# 存在问题 and 下步计划 of some demo projects (by name), as an assistant keeps them for the
# progress meeting; the others have none yet.
PROGRESS_NOTES = {
    "智能数控装备产业园一期项目": (
        "施工图审查意见涉及消防车道宽度，需设计单位修改后重新提交",
        "11月底前完成施工图修改并复审；同步准备施工许可申报材料"),
    "远东新材料年产5万吨高性能复合材料项目": (
        "土地出让合同已签订，土地款尚有30%未缴清，影响不动产权证办理",
        "督促企业12月10日前缴清土地款，自然资源和规划局同步启动办证"),
    "新能源电池配套产业园项目": (
        "项目备案已完成，环评报告书编制单位尚未确定",
        "协调企业本月内确定环评编制单位，生态环境局提前介入指导"),
    "海安市城市污水处理厂提标扩建工程": (
        "管网迁改涉及燃气管线，权属单位方案未确认",
        "召开联审会，燃气公司出具迁改方案；住建局并联办理施工许可"),
    "洋口港LNG接收站扩建项目": (
        "海域使用权续期手续需省级审批，时间较长",
        "县领导带队赴省厅对接，争取12月中旬取得批复"),
    "如东县人民医院新院区建设工程": (
        "人防易地建设费核定存在争议",
        "人防办与设计单位会商核定面积，按容缺后补先行受理施工许可"),
    "掘港老城区排水防涝提升工程": (
        "部分路段涉及交通占道，交警部门意见未出具",
        "本周组织现场踏勘，交警大队出具占道施工意见"),
    "长沙镇光伏储能一体化项目": (
        "",
        "完成项目备案后启动用地预审，帮办员每周跟进一次"),
}

# Demo staff names per county and role key: (family name, given name).
STAFF_NAMES = {
    "a": {"admin": ("王", "建国"), "dispatcher": ("李", "明"), "assistant": ("张", "丽"),
          "clerk": ("刘", "洋"), "dept": ("陈", "刚"), "company": ("杨", "帆")},
    "b": {"admin": ("赵", "卫东"), "dispatcher": ("黄", "敏"), "assistant": ("周", "婷"),
          "clerk": ("吴", "磊"), "dept": ("徐", "涛"), "company": ("孙", "悦")},
}
COUNTY_ROLE_KEYS = ("admin", "dispatcher", "assistant", "clerk", "dept", "company")
GLOBAL_USERS = (("admin", roles.SYSTEM_ADMIN, ("系统", "管理员")),
                ("secadmin", roles.SECURITY_ADMIN, ("安全", "管理员")),
                ("auditor", roles.AUDITOR, ("审计", "员")))
ROADS = ("长江路", "黄海大道", "人民路", "通扬路", "开发大道", "滨海路", "新港路")
CONTACTS = ("马俊", "朱红", "胡斌", "郭静", "何平", "高峰", "林涛", "罗燕", "梁勇", "宋佳")


def demo_usernames() -> list[str]:
    return ([f"{c.key}_{k}" for c in COUNTIES for k in COUNTY_ROLE_KEYS]
            + [u for u, _, _ in GLOBAL_USERS])


# --- small helpers -------------------------------------------------------------------

def _prev_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _sub_working_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def _certificate(fmt: str | None, *, project: str, county: CountySpec, day: dt.date,
                 n: int) -> str | None:
    if not fmt:
        return None
    return fmt.format(project=project, county=county.code, county_name=county.name,
                      short=county.name[:2], year=day.year, date=day, n=n)


def _phone(seed: int) -> str:
    return f"1{3 + seed % 6}{(seed * 7919) % 10**9:09d}"


class _Loader:
    def __init__(self, session: Session, password: str):
        self.s = session
        self.password = password
        self.created = 0

    def add(self, obj):
        self.s.add(obj)
        self.created += 1
        return obj

    # regions and units
    def region(self, code, name, level, parent=None) -> Region:
        region = self.s.scalar(select(Region).where(Region.code == code))
        if region is None:
            region = self.add(Region(code=code, name=name, level=level, parent=parent))
            save_region(self.s, region)
            self.s.flush()
        return region

    def unit(self, region: Region, county: CountySpec, name: str, short: str,
             kind: OrgUnitKind, seed: int) -> OrgUnit:
        full = f"{county.name}{name}"
        unit = self.s.scalar(select(OrgUnit).where(OrgUnit.region_id == region.id,
                                                   OrgUnit.name == full))
        if unit is None:
            unit = self.add(OrgUnit(name=full, short_name=short, kind=kind, region=region,
                                    contact=CONTACTS[seed % len(CONTACTS)],
                                    phone=f"0513-8{seed:03d}{(seed * 37) % 10000:04d}"))
        return unit


def _users(loader: _Loader, county_rows: dict) -> dict[str, AppUser]:
    from flask import current_app
    from werkzeug.security import generate_password_hash

    from app.extensions import appbuilder

    sm = appbuilder.sm
    hashed = None
    users: dict[str, AppUser] = {}

    def ensure(username, role_name, names, region=None, org_unit=None, applicant=None, seed=0):
        nonlocal hashed
        user = loader.s.scalar(select(AppUser).where(AppUser.username == username))
        if user is None:
            role = sm.find_role(role_name)
            if role is None:
                raise RuntimeError(f"role {role_name} is missing: run `flask init` first")
            if hashed is None:  # one hash for all demo users: they share one password
                hashed = generate_password_hash(
                    loader.password,
                    method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                    salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
            family, given = names
            user = sm.add_user(username, given, family, f"{username}@demo.gov.cn", [role],
                               hashed_password=hashed, commit=False)
            if not user:
                raise RuntimeError(f"could not create demo user {username}")
            loader.created += 1
            user.region, user.org_unit, user.applicant = region, org_unit, applicant
            user.phone = _phone(seed + 101)
        users[username] = user

    for seed, (username, role_name, names) in enumerate(GLOBAL_USERS):
        ensure(username, role_name, names, seed=seed)
    for ci, county in enumerate(COUNTIES):
        rows = county_rows[county.key]
        for ri, key in enumerate(COUNTY_ROLE_KEYS):
            spec = roles.ROLES_BY_KEY[key]
            ensure(f"{county.key}_{key}", spec.name, STAFF_NAMES[county.key][key],
                   region=rows["region"],
                   org_unit=rows["departments"][DEPT_HOUSING] if key == "dept" else None,
                   applicant=rows["applicants"][0] if key == "company" else None,
                   seed=10 * (ci + 1) + ri)
    loader.s.flush()
    return users


def _stage_gap(spec: ProjectSpec, later_stage: str) -> int:
    """Calendar days between finishing one stage and starting ``later_stage``."""
    if later_stage == "engineering":  # design work after the land permits
        return 75 + spec.serial % 45
    if later_stage == "construction":  # tendering
        return 20 + spec.serial % 10
    if later_stage == "completion":  # building it
        return 330 + spec.serial % 60
    return 5 + spec.serial % 7


def _schedule_items(project: Project, spec: ProjectSpec, county: CountySpec,
                    stages: dict[str, Stage], counter) -> tuple[dt.date, dt.date | None]:
    """Give the project's items statuses and dates, walking back from the current stage.

    Returns the earliest date used and the day the construction permit was issued (if it was).
    """
    ref = REFERENCE_DATE
    seq_of = {s.id: s.seq for s in stages.values()}
    code_of = {s.seq: s.code for s in stages.values()}
    current_seq = stages[spec.stage].seq
    by_stage: dict[int, list[ApprovalItem]] = {}
    for item in sorted(project.items, key=lambda i: (seq_of[i.stage_id],
                                                     i.template.seq if i.template else 0,
                                                     i.name)):
        by_stage.setdefault(seq_of[item.stage_id], []).append(item)

    completed = spec.status == ProjectStatus.COMPLETED
    current_start = _prev_working_day(ref - dt.timedelta(days=spec.lag if not completed else 20))
    earliest = current_start

    def finish(item, day_done: dt.date, ratio: float) -> dt.date:
        worked = max(1, round(item.time_limit_days * ratio)) if item.time_limit_days else 0
        item.accepted_on = _sub_working_days(day_done, worked)
        item.finished_on = day_done
        fill_due_on(item)
        item.status = ItemStatus.FINISHED
        tpl = TEMPLATE_BY_NAME.get(item.name)
        item.result = tpl.result if tpl else "准予许可"
        item.certificate_no = _certificate(tpl.certificate if tpl else None,
                                           project=project.code, county=county,
                                           day=day_done, n=next(counter))
        told(item)
        return item.accepted_on

    def told(item) -> None:
        # 告知结果: the company was told on the day the item was finished (17:00 Beijing).
        item.result_told_at = dt.datetime.combine(item.finished_on, dt.time(9, 0))
        item.result_told_to = project.contact_person or project.applicant.name

    # Stages before the current one (all of them for a completed project), walked backwards.
    cursor = _prev_working_day(current_start - dt.timedelta(
        days=3 if completed else _stage_gap(spec, spec.stage)))
    finished_seqs = [q for q in by_stage if q < current_seq or completed]
    for q in sorted(finished_seqs, reverse=True):
        starts = []
        for i, item in enumerate(by_stage[q]):
            done = _prev_working_day(cursor - dt.timedelta(days=i))
            ratio = (0.5, 0.7, 0.9, 0.6)[(spec.serial + i + q) % 4]
            starts.append(finish(item, done, ratio))
        cursor = _prev_working_day(min(starts) - dt.timedelta(days=_stage_gap(spec, code_of[q])))
        earliest = min(earliest, min(starts))
    permits = [i.finished_on for i in by_stage.get(stages["construction"].seq, [])
               if i.finished_on]
    permit = max(permits) if permits else None
    if completed:
        return earliest, permit

    # The current stage: applications accepted one after the other since it began.
    for i, item in enumerate(by_stage.get(current_seq, [])):
        accepted = current_start + dt.timedelta(days=2 * i)
        while not is_working_day(accepted):
            accepted += dt.timedelta(days=1)
        if accepted > ref:
            continue  # not applied for yet
        item.accepted_on = accepted
        fill_due_on(item)
        if spec.status == ProjectStatus.TERMINATED:
            item.status = ItemStatus.WITHDRAWN
            item.result = "项目终止，申请人撤回申请"
            continue
        if item.time_limit_days <= 3 and item.due_on < ref:
            # Quick items are done by now.
            item.finished_on = item.due_on
            item.status = ItemStatus.FINISHED
            tpl = TEMPLATE_BY_NAME.get(item.name)
            item.result = tpl.result if tpl else "准予许可"
            item.certificate_no = _certificate(tpl.certificate if tpl else None,
                                               project=project.code, county=county,
                                               day=item.finished_on, n=next(counter))
            told(item)
            continue
        kind = (spec.serial + i) % 3
        if kind == 0:
            item.status = ItemStatus.ACCEPTED
        elif kind == 1:
            item.status = ItemStatus.CORRECTING
        else:
            item.status = ItemStatus.ACCEPTED_WITH_GAPS
            item.gap_materials = "节能审查意见（申请人承诺限期补齐）"
            item.gap_promised_on = add_working_days(accepted, 10)
    return earliest, permit


TEMPLATE_BY_NAME = {t.name: t for t in TEMPLATES}
# The stable code each demo template carries (the measures find items by it).
TEMPLATE_CODES = {
    "项目策划生成（多规合一业务协同）": item_codes.PROJECT_PLANNING,
    "企业设立登记": item_codes.COMPANY_REGISTRATION,
    "企业投资项目备案": item_codes.INVESTMENT_FILING,
    "建设项目用地预审与选址意见书": item_codes.LAND_PREREVIEW,
    "建设用地规划许可证": item_codes.LAND_PLANNING_PERMIT,
    "环境影响评价审批": item_codes.ENVIRONMENTAL_IMPACT,
    "水土保持方案审批": item_codes.SOIL_CONSERVATION,
    "建设工程规划许可证": item_codes.WORKS_PLANNING_PERMIT,
    "施工图审查": item_codes.DRAWING_REVIEW,
    "人防工程防护设计审查": item_codes.CIVIL_DEFENCE_REVIEW,
    "建设项目安全设施设计审查": item_codes.SAFETY_FACILITIES_REVIEW,
    "建筑工程施工许可证": item_codes.CONSTRUCTION_PERMIT,
    "竣工联合验收": item_codes.JOINT_COMPLETION_ACCEPTANCE,
    "公众聚集场所投入使用、营业前消防安全检查": item_codes.FIRE_SAFETY_INSPECTION,
    "不动产首次登记": item_codes.PROPERTY_FIRST_REGISTRATION,
}


def load_demo(session: Session, password: str) -> str:
    """Load (or complete) the demo data set; return a one-line summary.

    ``session`` must be the app's ``db.session``: users are created through FAB's security
    manager, which works on that session. Nothing is committed here (the caller commits);
    rows that already exist, found by their natural keys, are left untouched.
    """
    loader = _Loader(session, password)
    stage_list = ensure_standard_stages(session)
    stages = {s.code: s for s in stage_list}

    city = loader.region(CITY[0], CITY[1], RegionLevel.CITY)
    county_rows: dict[str, dict] = {}
    for ci, county in enumerate(COUNTIES):
        region = loader.region(county.code, county.name, RegionLevel.COUNTY, city)
        towns = [loader.region(code, name, RegionLevel.TOWN, region)
                 for code, name in county.towns]
        seed = itertools.count(10 * ci + 1)
        departments = {n: loader.unit(region, county, n, short, OrgUnitKind.DEPARTMENT, next(seed))
                       for n, short in DEPARTMENTS}
        utilities = {n: loader.unit(region, county, n, short, OrgUnitKind.UTILITY, next(seed))
                     for n, short in UTILITIES}
        agency = loader.unit(region, county, AGENCY[0], AGENCY[1], OrgUnitKind.AGENCY, next(seed))
        session.flush()

        existing = {(t.stage_id, t.name) for t in session.scalars(
            select(ItemTemplate).where(ItemTemplate.region_id == region.id))}
        for seq, t in enumerate(TEMPLATES, start=1):
            stage = stages[t.stage]
            if (stage.id, t.name) in existing:
                continue
            loader.add(ItemTemplate(
                region=region, stage=stage, department=departments[t.department], seq=seq,
                name=t.name, code=TEMPLATE_CODES.get(t.name), time_limit_days=t.days,
                fee_mode=t.fee_mode,
                fees_yuan=Decimal(t.fees) if t.fees else None, materials=t.materials,
                division_of_labour=t.labour, active=True))

        applicants = []
        for a in (a for a in APPLICANTS if a.county == county.key):
            code = credit_codes.with_check_character(a.body)
            applicant = session.scalar(select(Applicant).where(Applicant.credit_code == code))
            if applicant is None:
                applicant = loader.add(Applicant(name=a.name, credit_code=code, address=a.address,
                                                 nature=a.nature, legal_representative=a.legal,
                                                 region=region))
            applicants.append(applicant)
        county_rows[county.key] = dict(region=region, towns=towns, departments=departments,
                                       utilities=utilities, agency=agency,
                                       applicants=applicants)
    session.flush()

    users = _users(loader, county_rows)

    counter = itertools.count(11)
    for pi, spec in enumerate(PROJECTS):
        if session.scalar(select(Project.id).where(Project.code == spec.code)) is not None:
            continue
        county = COUNTY_BY_KEY[spec.county]
        rows = county_rows[spec.county]
        town = rows["towns"][spec.town] if spec.town is not None else None
        contact = CONTACTS[pi % len(CONTACTS)]
        project = loader.add(Project(
            code=spec.code, name=spec.name,
            address=(f"{county.name}{town.name if town else ''}"
                     f"{ROADS[pi % len(ROADS)]}{(pi * 37) % 300 + 1}号"),
            region=rows["region"], town=town, applicant=rows["applicants"][spec.applicant],
            leader=CONTACTS[(pi + 3) % len(CONTACTS)], contact_person=contact,
            contact_phone=_phone(pi + 1), investment_wan=Decimal(spec.investment),
            funding_source=spec.funding,
            floor_area_wan_m2=Decimal(spec.floor_area) if spec.floor_area else None,
            land_nature=spec.land, list_level=spec.level, list_year=spec.list_year,
            main_use_scale=spec.use, current_stage=stages[spec.stage], status=spec.status,
            termination_reason=spec.reason, termination_note=spec.note,
            problems=PROGRESS_NOTES.get(spec.name, ("", ""))[0] or None,
            next_steps=PROGRESS_NOTES.get(spec.name, ("", ""))[1] or None))
        # Everything about the project is set before its first flush: one insert per row
        # (and one audit record), no updates.
        with session.no_autoflush:
            loader.created += len(instantiate_items(session, project))
            earliest, permit = _schedule_items(project, spec, county, stages, counter)
        start = (permit + dt.timedelta(days=7) if permit
                 else REFERENCE_DATE + dt.timedelta(days=spec.start))
        project.planned_start_on = start
        project.planned_completion_on = start + dt.timedelta(days=30 * spec.months)

        assistant = users[f"{county.key}_assistant"]
        loader.add(ProjectAssistant(project=project, user=assistant, is_lead=True,
                                    assigned_on=earliest - dt.timedelta(days=5)))
        team = [(rows["departments"]["发展和改革委员会"], TeamRole.LEAD),
                (rows["departments"]["自然资源和规划局"], TeamRole.MEMBER),
                (rows["departments"][DEPT_HOUSING], TeamRole.MEMBER),
                (rows["utilities"]["供电公司"], TeamRole.UTILITY),
                (rows["utilities"][("供水公司", "燃气公司")[pi % 2]], TeamRole.UTILITY),
                (rows["agency"], TeamRole.AGENCY)]
        for ti, (unit, role) in enumerate(team):
            loader.add(ServiceTeamMember(project=project, org_unit=unit, role=role,
                                         contact=CONTACTS[(pi + ti) % len(CONTACTS)],
                                         phone=_phone(100 * pi + ti)))
    session.flush()
    from .measures import load_demo_measures

    loader.created += load_demo_measures(session, city, county_rows[COUNTIES[0].key]["region"],
                                         users[f"{COUNTIES[0].key}_assistant"])
    from .urges import load_demo_urges  # 催办 (app/demo/urges.py)
    loader.created += load_demo_urges(session, county_rows[COUNTIES[0].key]["region"],
                                      users[f"{COUNTIES[0].key}_dispatcher"],
                                      users[f"{COUNTIES[0].key}_assistant"])
    from .work_logs import load_demo_work_logs  # 帮办代办日志 (issue 12)
    loader.created += load_demo_work_logs(session, county_rows[COUNTIES[0].key]["region"])
    session.flush()
    loader.created += load_demo_coordination(session, county_rows, users)  # 协调推进
    from .meetings import load_demo_meetings  # 专班 and a held meeting (app/demo/meetings.py)

    loader.created += load_demo_meetings(session, county_rows[COUNTIES[0].key]["region"],
                                         county_rows[COUNTIES[0].key]["departments"],
                                         users[f"{COUNTIES[0].key}_dispatcher"])
    session.flush()
    return _summary(session, loader.created)


def _summary(session: Session, created: int) -> str:
    county_codes = [c.code for c in COUNTIES]
    counties = session.scalars(select(Region).where(Region.code.in_(county_codes))).all()
    towns = session.scalar(select(func.count()).select_from(Region).where(
        Region.parent_id.in_([c.id for c in counties]))) if counties else 0
    codes = [p.code for p in PROJECTS]
    projects = session.scalar(select(func.count()).select_from(Project)
                              .where(Project.code.in_(codes)))
    items = session.scalar(select(func.count()).select_from(ApprovalItem).join(Project)
                           .where(Project.code.in_(codes)))
    users = session.scalar(select(func.count()).select_from(AppUser)
                           .where(AppUser.username.in_(demo_usernames())))
    return (f"demo: 1 city, {len(counties)} counties, {towns} towns, {projects} projects, "
            f"{items} items, {users} users ({created} rows added)")


# --- bulk data for benchmarks ----------------------------------------------------------

BULK_PREFIX = "BULK-"
_BULK_WIDTH = 8
_BATCH = 2000

_BULK_NAMES = ("智能制造产业园", "新材料生产基地", "物流仓储中心", "城市更新片区", "标准厂房",
               "研发中心", "污水处理厂扩建", "人才公寓", "光伏储能电站", "学校新建工程",
               "医院改扩建工程", "道路提升工程", "农贸市场", "商业综合体", "数据中心")
_BULK_STATUSES = (ItemStatus.ACCEPTED, ItemStatus.CORRECTING, ItemStatus.ACCEPTED_WITH_GAPS)


@cache
def _plus_working(day: dt.date, days: int) -> dt.date:
    return add_working_days(day, days)


def _next_bulk_number(session: Session) -> int:
    top = session.scalar(select(func.max(Project.code))
                         .where(Project.code.like(BULK_PREFIX + "%")))
    if top is None:
        return 1
    try:
        return int(top[len(BULK_PREFIX):]) + 1
    except ValueError:  # someone typed a BULK- code by hand: fall back to scanning them all
        numbers = [int(c[len(BULK_PREFIX):]) for c in session.scalars(
            select(Project.code).where(Project.code.like(BULK_PREFIX + "%")))
            if c[len(BULK_PREFIX):].isdigit()]
        return max(numbers, default=0) + 1


def _bulk_context(session: Session) -> list[dict]:
    counties = session.scalars(select(Region).where(Region.code.in_([c.code for c in COUNTIES]))
                               .order_by(Region.code)).all()
    if len(counties) < len(COUNTIES):
        from flask import current_app

        load_demo(session, current_app.config["DEMO_PASSWORD"])
        session.flush()
        counties = session.scalars(select(Region).where(
            Region.code.in_([c.code for c in COUNTIES])).order_by(Region.code)).all()
    stage_seq = {s.id: s.seq for s in session.scalars(select(Stage))}
    out = []
    for region in counties:
        spec = next(c for c in COUNTIES if c.code == region.code)
        towns = list(session.scalars(select(Region.id).where(Region.parent_id == region.id)
                                     .order_by(Region.code)))
        applicants = list(session.scalars(select(Applicant.id)
                                          .where(Applicant.region_id == region.id)
                                          .order_by(Applicant.id)))
        templates = sorted(session.scalars(select(ItemTemplate).where(
            ItemTemplate.region_id == region.id, ItemTemplate.active.is_(True))),
            key=lambda t: (stage_seq[t.stage_id], t.seq, t.id))
        assistant = session.scalar(select(AppUser.id).where(
            AppUser.username == f"{spec.key}_assistant"))
        if not applicants or not templates:
            raise RuntimeError(f"{region.name} has no applicants or templates: "
                               "load the demo first")
        stage_ids = sorted({t.stage_id for t in templates}, key=lambda s: stage_seq[s])
        out.append(dict(region=region.id, towns=towns, applicants=applicants,
                        templates=[dict(id=t.id, stage_id=t.stage_id,
                                        department_id=t.department_id, name=t.name,
                                        code=t.code,
                                        time_limit_days=t.time_limit_days, fees_yuan=t.fees_yuan,
                                        fee_mode=t.fee_mode, materials=t.materials,
                                        division_of_labour=t.division_of_labour,
                                        stage_index=stage_ids.index(t.stage_id))
                                   for t in templates],
                        stage_ids=stage_ids, assistant=assistant, name=spec.name))
    return out


def _bulk_items(project_id: int, n: int, county: dict, per_project: int, current: int,
                now) -> list[dict]:
    """Items of one bulk project; stages before ``current`` (an index) are finished."""
    templates = county["templates"]
    count = len(templates)
    base = REFERENCE_DATE - dt.timedelta(days=current * 25 + 5 + n % 30)
    rows = []
    for i in range(per_project):
        if per_project <= count:
            tpl = templates[(i * count) // per_project]
            name = tpl["name"]
        else:
            tpl = templates[i % count]
            name = tpl["name"] if i < count else f"{tpl['name']}（{i // count + 1}）"
        stage_index = tpl["stage_index"]
        accepted = due = finished = None
        status = ItemStatus.NOT_STARTED
        if stage_index <= current:
            accepted = _prev_working_day(base + dt.timedelta(days=25 * stage_index + i % 3))
            due = _plus_working(accepted, tpl["time_limit_days"])
            if stage_index < current:
                status = ItemStatus.FINISHED
                finished = _plus_working(accepted, max(1, tpl["time_limit_days"] // 2))
            else:
                status = _BULK_STATUSES[(n + i) % 3]
        rows.append(dict(
            project_id=project_id, stage_id=tpl["stage_id"], department_id=tpl["department_id"],
            template_id=tpl["id"], name=name, code=tpl["code"], time_limit_days=tpl["time_limit_days"],
            fees_yuan=tpl["fees_yuan"], fee_mode=tpl["fee_mode"], materials=tpl["materials"],
            division_of_labour=tpl["division_of_labour"], status=status, accepted_on=accepted,
            due_on=due, finished_on=finished,
            result="准予许可" if status == ItemStatus.FINISHED else None, certificate_no=None,
            result_told_at=dt.datetime.combine(finished, dt.time(9, 0)) if finished else None,
            result_told_to="项目联系人" if finished else None,
            gap_materials="部分材料容缺，承诺后补" if status == ItemStatus.ACCEPTED_WITH_GAPS else None,
            gap_promised_on=(_plus_working(accepted, 10)
                             if status == ItemStatus.ACCEPTED_WITH_GAPS else None),
            created_at=now, updated_at=now))
    return rows


def generate_bulk(session: Session, projects: int, items_per_project: int, *,
                  cards: bool = False, work_order_every: int = 0, audit_rows: int = 0) -> int:
    """Insert ``projects`` synthetic projects with ``items_per_project`` items each.

    With ``cards`` every open item of these projects past its due date (as of
    ``REFERENCE_DATE``) gets a yellow card, red for every third one; with
    ``work_order_every`` = n every n-th of these cards is dispatched as a work order (with
    its dispatch step); ``audit_rows`` adds that many synthetic audit records (one
    ``INSERT … SELECT generate_series`` on PostgreSQL). The province-scale benchmark set
    (``benchmarks/lists.py``): 5,000 projects × 20 items, cards, a work order per 5 cards
    and 2,000,000 audit rows, in a few minutes."""
    if audit_rows > 0:
        generate_audit_rows(session, audit_rows)
    if projects <= 0:
        return 0
    counties = _bulk_context(session)
    first = _next_bulk_number(session)
    now = utcnow()
    levels = list(ListLevel)
    funding = list(FundingSource)
    lands = list(LandNature)
    project_table, item_table = Project.__table__, ApprovalItem.__table__
    assistant_table = ProjectAssistant.__table__

    done = 0
    while done < projects:
        batch = range(first + done, first + min(projects, done + _BATCH))
        prows, meta = [], []
        for n in batch:
            county = counties[n % len(counties)]
            towns = county["towns"]
            town = towns[n % (len(towns) + 1)] if n % (len(towns) + 1) < len(towns) else None
            status = (ProjectStatus.TERMINATED if n % 50 == 0 else
                      ProjectStatus.COMPLETED if n % 20 == 0 else ProjectStatus.ACTIVE)
            stages = county["stage_ids"]
            # A completed project is past its last stage: every item finished.
            current = len(stages) if status == ProjectStatus.COMPLETED else n % len(stages)
            start = REFERENCE_DATE + dt.timedelta(days=(n % 540) - 270)
            prows.append(dict(
                code=f"{BULK_PREFIX}{n:0{_BULK_WIDTH}d}",
                name=f"{county['name']}{_BULK_NAMES[n % len(_BULK_NAMES)]}（基准{n}）",
                address=f"{county['name']}基准测试地块{n}号", region_id=county["region"],
                town_id=town,
                applicant_id=county["applicants"][n % len(county["applicants"])],
                leader=CONTACTS[n % len(CONTACTS)],
                contact_person=CONTACTS[(n + 3) % len(CONTACTS)], contact_phone=_phone(n),
                investment_wan=Decimal(1000 + (n * 7919) % 200000),
                funding_source=funding[n % len(funding)],
                floor_area_wan_m2=Decimal((n * 31) % 2000) / 100,
                land_nature=lands[n % len(lands)], list_level=levels[n % len(levels)],
                list_year=2025 + n % 2, main_use_scale="基准测试数据",
                planned_start_on=start, planned_completion_on=start + dt.timedelta(days=365),
                current_stage_id=stages[min(current, len(stages) - 1)], status=status,
                termination_reason=(TerminationReason.OTHER
                                    if status == ProjectStatus.TERMINATED else None),
                termination_note=None, created_at=now, updated_at=now))
            meta.append((n, county, current))
        # A plain executemany (pipelined by psycopg) beats INSERT … RETURNING by far;
        # the new ids are then read back by their fixed-width codes.
        session.execute(insert(project_table), prows)
        id_by_code = dict(session.execute(
            select(project_table.c.code, project_table.c.id)
            .where(project_table.c.code.between(prows[0]["code"], prows[-1]["code"]))).all())
        ids = [id_by_code[row["code"]] for row in prows]
        item_rows, assistant_rows = [], []
        for pid, (n, county, current) in zip(ids, meta, strict=False):
            item_rows.extend(_bulk_items(pid, n, county, items_per_project, current, now))
            if county["assistant"] is not None:
                assistant_rows.append(dict(project_id=pid, user_id=county["assistant"],
                                           is_lead=True, assigned_on=REFERENCE_DATE,
                                           created_at=now, updated_at=now))
        for i in range(0, len(item_rows), 5000):
            session.execute(insert(item_table), item_rows[i:i + 5000])
        if assistant_rows:
            session.execute(insert(assistant_table), assistant_rows)
        if cards:
            _bulk_cards(session, ids, work_order_every, now)
        done += len(batch)
    return done


_OPEN_STATUSES = (ItemStatus.ACCEPTED, ItemStatus.CORRECTING, ItemStatus.ACCEPTED_WITH_GAPS)


def _bulk_cards(session: Session, project_ids: list[int], work_order_every: int, now) -> None:
    """Cards for the overdue open items of ``project_ids``, and some work orders."""
    item, project = ApprovalItem.__table__, Project.__table__
    overdue = session.execute(
        select(item.c.id, item.c.name, item.c.project_id, item.c.department_id, item.c.due_on,
               project.c.name.label("project_name"), project.c.region_id)
        .join(project, project.c.id == item.c.project_id)
        .where(item.c.project_id.in_(project_ids), item.c.status.in_(_OPEN_STATUSES),
               item.c.due_on < REFERENCE_DATE)
        .order_by(item.c.id)).all()
    if not overdue:
        return
    rows = []
    for row in overdue:
        raised = now - dt.timedelta(days=row.id % 90, minutes=row.id % 1440)
        rows.append(dict(
            subject=CardSubject.ITEM, subject_id=row.id, part="",
            level=CardLevel.RED if row.id % 3 == 0 else CardLevel.YELLOW,
            project_id=row.project_id, org_unit_id=row.department_id,
            title=f"{row.name} · {row.project_name}"[:255], due_on=row.due_on,
            raised_at=raised, cleared_at=None, created_at=raised, updated_at=raised))
    card_table = WarningCard.__table__
    session.execute(insert(card_table), rows)
    if work_order_every <= 0:
        return
    by_subject = {r.id: r for r in overdue}
    new_cards = session.execute(
        select(card_table.c.id, card_table.c.subject_id, card_table.c.title)
        .where(card_table.c.subject == CardSubject.ITEM,
               card_table.c.subject_id.in_(list(by_subject)))
        .order_by(card_table.c.id)).all()
    orders = []
    statuses = list(WorkOrderStatus)
    for i, card in enumerate(new_cards):
        if i % work_order_every:
            continue
        src = by_subject[card.subject_id]
        status = statuses[card.id % len(statuses)]
        created = now - dt.timedelta(days=card.id % 60, minutes=card.id % 1440)
        orders.append(dict(
            card_id=card.id, project_id=src.project_id, org_unit_id=src.department_id,
            region_id=src.region_id, title=card.title, request="请说明逾期原因并尽快办结",
            reply_due_on=REFERENCE_DATE + dt.timedelta(days=card.id % 10),
            status=status,
            reply="已安排专人办理" if status in (WorkOrderStatus.REPLIED,
                                                 WorkOrderStatus.CLOSED) else None,
            replied_at=created if status in (WorkOrderStatus.REPLIED,
                                             WorkOrderStatus.CLOSED) else None,
            closed_at=created if status == WorkOrderStatus.CLOSED else None,
            escalation_count=card.id % 3 if status == WorkOrderStatus.OPEN else 0,
            created_by_id=None, created_at=created, updated_at=created))
    if not orders:
        return
    order_table = WorkOrder.__table__
    session.execute(insert(order_table), orders)
    made = session.execute(select(order_table.c.id, order_table.c.created_at)
                           .where(order_table.c.card_id.in_([o["card_id"] for o in orders])))
    session.execute(insert(WorkOrderStep.__table__), [
        dict(work_order_id=wo_id, action="dispatch", at=at, user_id=None, username="system",
             comment="请说明逾期原因并尽快办结") for wo_id, at in made])


_AUDIT_MODELS = ("Project", "ApprovalItem", "WarningCard", "WorkOrder", "Applicant")
_AUDIT_ACTIONS = ("create", "update", "update", "update", "delete", "login")


def generate_audit_rows(session: Session, rows: int) -> int:
    """Append ``rows`` synthetic audit records spread over the last two years: on
    PostgreSQL one ``INSERT … SELECT`` over ``generate_series`` (2,000,000 rows in well
    under a minute), elsewhere Core batches."""
    if rows <= 0:
        return 0
    users = list(session.execute(select(AppUser.id, AppUser.username).order_by(AppUser.id)))
    if not users:
        users = [(None, "system")]
    now = utcnow().replace(microsecond=0)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        user_ids = [u[0] for u in users]
        names = [u[1] for u in users]
        session.execute(text(
            "INSERT INTO audit_record (at, user_id, username, ip, action, model, object_id, "
            "changes) "
            "SELECT CAST(:now AS timestamp) - (g * interval '31 seconds'), "
            "(CAST(:uids AS integer[]))[1 + g % :nu], (CAST(:names AS text[]))[1 + g % :nu], "
            "'10.0.' || (g % 250) || '.' || (g % 199), "
            "(CAST(:actions AS text[]))[1 + g % :na], (CAST(:models AS text[]))[1 + g % :nm], "
            "CAST(1 + g % 100000 AS text), "
            "CAST('{\"status\": [\"ACCEPTED\", \"FINISHED\"]}' AS json) "
            "FROM generate_series(1, :rows) AS g"),
            {"now": now, "uids": user_ids, "names": names, "nu": len(users),
             "actions": list(_AUDIT_ACTIONS), "na": len(_AUDIT_ACTIONS),
             "models": list(_AUDIT_MODELS), "nm": len(_AUDIT_MODELS), "rows": rows})
        return rows
    table = AuditRecord.__table__
    for start in range(1, rows + 1, 5000):
        batch = []
        for g in range(start, min(rows, start + 4999) + 1):
            uid, name = users[g % len(users)]
            batch.append(dict(at=now - dt.timedelta(seconds=31 * g), user_id=uid,
                              username=name, ip=f"10.0.{g % 250}.{g % 199}",
                              action=_AUDIT_ACTIONS[g % len(_AUDIT_ACTIONS)],
                              model=_AUDIT_MODELS[g % len(_AUDIT_MODELS)],
                              object_id=str(1 + g % 100000),
                              changes={"status": ["ACCEPTED", "FINISHED"]}))
        session.execute(insert(table), batch)
    return rows
