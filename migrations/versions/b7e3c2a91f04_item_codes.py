"""stable item codes on templates and approval items

Revision ID: b7e3c2a91f04
Revises: 4c100b8cd2fe
Create Date: 2026-12-02 14:30:00

Existing rows get a code from their name (the words the built-in measures used to match
on); items made from a template take the template's code.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e3c2a91f04'
down_revision = '4c100b8cd2fe'
branch_labels = None
depends_on = None

# First match wins (a copy of app/services/item_codes.py at the time of writing).
NAME_PATTERNS = (
    ("%策划生成%", "project_planning"),
    ("%企业设立%", "company_registration"),
    ("%项目备案%", "investment_filing"),
    ("%用地预审%", "land_prereview"),
    ("%建设用地规划许可%", "land_planning_permit"),
    ("%建设工程规划许可%", "works_planning_permit"),
    ("%建设用地使用权%", "land_use_right"),
    ("%土地出让%", "land_use_right"),
    ("%土地使用权%", "land_use_right"),
    ("%不动产权%", "land_use_right"),
    ("%环境影响%", "environmental_impact"),
    ("%水土保持%", "soil_conservation"),
    ("%人防%", "civil_defence_review"),
    ("%安全设施%", "safety_facilities_review"),
    ("%施工图%", "drawing_review"),
    ("%施工许可%", "construction_permit"),
    ("%竣工%验收%", "joint_completion_acceptance"),
    ("%消防%", "fire_safety_inspection"),
    ("%不动产%登记%", "property_first_registration"),
)


def _backfill(table: str) -> None:
    for pattern, code in NAME_PATTERNS:
        op.execute(sa.text(f"UPDATE {table} SET code = :code "
                           "WHERE code IS NULL AND name LIKE :pattern")
                   .bindparams(code=code, pattern=pattern))


def upgrade():
    with op.batch_alter_table('item_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f('ix_item_template_code'), ['code'], unique=False)
    with op.batch_alter_table('approval_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f('ix_approval_item_code'), ['code'], unique=False)
    _backfill("item_template")
    # A correlated subquery, not UPDATE … FROM: the same SQL runs on PostgreSQL and SQLite.
    op.execute("UPDATE approval_item SET code = (SELECT t.code FROM item_template t "
               "WHERE t.id = approval_item.template_id) "
               "WHERE approval_item.code IS NULL AND approval_item.template_id IS NOT NULL")
    _backfill("approval_item")


def downgrade():
    with op.batch_alter_table('approval_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_item_code'))
        batch_op.drop_column('code')
    with op.batch_alter_table('item_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_template_code'))
        batch_op.drop_column('code')
