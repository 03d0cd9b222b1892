"""field work foundation: card subjects, intermediary units, region settings, site position

Revision ID: b2e4f6a8c0d1
Revises: a11d0c7e5b21
Create Date: 2026-12-04 18:30:00

Issue 12 (work logs, coordination requests, meetings): the shared pieces each area builds on.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b2e4f6a8c0d1'
down_revision = 'a11d0c7e5b21'
branch_labels = None
depends_on = None

OLD_SUBJECTS = ("ITEM", "GAP_PROMISE", "WORK_ORDER", "WORKFLOW", "INTAKE")
NEW_SUBJECTS = OLD_SUBJECTS + ("DAILY_REPORT", "COORDINATION", "DECISION")
OLD_KINDS = ("DEPARTMENT", "UTILITY", "AGENCY")
NEW_KINDS = OLD_KINDS + ("INTERMEDIARY",)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _checks(subjects, kinds, old_subjects, old_kinds):
    # Alembic does not see a changed enum CHECK.
    with op.batch_alter_table("warning_card", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=_enum(old_subjects, "ck_cardsubject"),
                              type_=_enum(subjects, "ck_cardsubject"), existing_nullable=False)
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_enum(old_kinds, "ck_orgunitkind"),
                              type_=_enum(kinds, "ck_orgunitkind"), existing_nullable=False)


def upgrade():
    _checks(NEW_SUBJECTS, NEW_KINDS, OLD_SUBJECTS, OLD_KINDS)
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_report_days', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('photo_strip_location', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('escalation_signoff', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('escalation_signoff')
        batch_op.drop_column('photo_strip_location')
        batch_op.drop_column('daily_report_days')
    _checks(OLD_SUBJECTS, OLD_KINDS, NEW_SUBJECTS, NEW_KINDS)
