"""Stable codes of the standard approval items (审批事项).

A region's template carries one of these codes and hands it to every project item made
from it; built-in measures find the items they rely on or issue by code, so a region may
reword an item's name without breaking a measure.
"""
from __future__ import annotations

PROJECT_PLANNING = "project_planning"  # 项目策划生成
COMPANY_REGISTRATION = "company_registration"  # 企业设立登记
INVESTMENT_FILING = "investment_filing"  # 企业投资项目备案
LAND_PREREVIEW = "land_prereview"  # 建设项目用地预审与选址意见书
LAND_USE_RIGHT = "land_use_right"  # 国有建设用地使用权（出让合同、不动产权证书）
LAND_PLANNING_PERMIT = "land_planning_permit"  # 建设用地规划许可证
ENVIRONMENTAL_IMPACT = "environmental_impact"  # 环境影响评价审批
SOIL_CONSERVATION = "soil_conservation"  # 水土保持方案审批
WORKS_PLANNING_PERMIT = "works_planning_permit"  # 建设工程规划许可证
DRAWING_REVIEW = "drawing_review"  # 施工图审查（含桩基施工图）
CIVIL_DEFENCE_REVIEW = "civil_defence_review"  # 人防工程防护设计审查
SAFETY_FACILITIES_REVIEW = "safety_facilities_review"  # 建设项目安全设施设计审查
CONSTRUCTION_PERMIT = "construction_permit"  # 建筑工程施工许可证
JOINT_COMPLETION_ACCEPTANCE = "joint_completion_acceptance"  # 竣工联合验收
FIRE_SAFETY_INSPECTION = "fire_safety_inspection"  # 公众聚集场所消防安全检查
PROPERTY_FIRST_REGISTRATION = "property_first_registration"  # 不动产首次登记

ALL = (PROJECT_PLANNING, COMPANY_REGISTRATION, INVESTMENT_FILING, LAND_PREREVIEW,
       LAND_USE_RIGHT, LAND_PLANNING_PERMIT, ENVIRONMENTAL_IMPACT, SOIL_CONSERVATION,
       WORKS_PLANNING_PERMIT, DRAWING_REVIEW, CIVIL_DEFENCE_REVIEW, SAFETY_FACILITIES_REVIEW,
       CONSTRUCTION_PERMIT, JOINT_COMPLETION_ACCEPTANCE, FIRE_SAFETY_INSPECTION,
       PROPERTY_FIRST_REGISTRATION)


def labels() -> dict[str, str]:
    """Each code's item name as a person reads it (the template screen's code choices)."""
    from flask_babel import gettext as _

    return {
        PROJECT_PLANNING: _("Project planning (multi-plan integration)"),
        COMPANY_REGISTRATION: _("Company registration"),
        INVESTMENT_FILING: _("Enterprise investment project filing"),
        LAND_PREREVIEW: _("Land-use pre-review and site selection opinion"),
        LAND_USE_RIGHT: _("State-owned construction land use right"),
        LAND_PLANNING_PERMIT: _("Construction land planning permit"),
        ENVIRONMENTAL_IMPACT: _("Environmental impact assessment approval"),
        SOIL_CONSERVATION: _("Soil and water conservation plan approval"),
        WORKS_PLANNING_PERMIT: _("Construction works planning permit"),
        DRAWING_REVIEW: _("Construction drawing review (incl. pile foundation drawings)"),
        CIVIL_DEFENCE_REVIEW: _("Civil air defence design review"),
        SAFETY_FACILITIES_REVIEW: _("Safety facilities design review"),
        CONSTRUCTION_PERMIT: _("Construction permit"),
        JOINT_COMPLETION_ACCEPTANCE: _("Joint completion acceptance"),
        FIRE_SAFETY_INSPECTION: _("Fire safety inspection of public gathering places"),
        PROPERTY_FIRST_REGISTRATION: _("First registration of real estate"),
    }
