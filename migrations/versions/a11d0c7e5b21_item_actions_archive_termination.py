"""item actions, materials checklist, archive files, termination and region process settings

Revision ID: a11d0c7e5b21
Revises: f037c5681b69
Create Date: 2026-12-03 14:10:00

Issue 11 (department actions on items, 告知结果, 终止服务, 资料归档, the 对接需求 card).
"""
import sqlalchemy as sa
from alembic import op

revision = 'a11d0c7e5b21'
down_revision = 'f037c5681b69'
branch_labels = None
depends_on = None

OLD_SUBJECTS = ("ITEM", "GAP_PROMISE", "WORK_ORDER", "WORKFLOW")
NEW_SUBJECTS = OLD_SUBJECTS + ("INTAKE",)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _subject_check(old, new):
    # Alembic does not see a changed enum CHECK: a card may now watch a project's intake.
    with op.batch_alter_table("warning_card", schema=None) as batch_op:
        batch_op.alter_column("subject", existing_type=_enum(old, "ck_cardsubject"),
                              type_=_enum(new, "ck_cardsubject"), existing_nullable=False)


def upgrade():
    _subject_check(OLD_SUBJECTS, NEW_SUBJECTS)
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_days', sa.Integer(), nullable=False,
                                      server_default='3'))
        batch_op.add_column(sa.Column('commitment_allowed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('archive_required', sa.JSON(), nullable=True))
    with op.batch_alter_table('approval_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_start_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned_finish_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('responsible_person', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('responsible_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('refusal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('commitment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('result_told_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('result_told_to', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('result_told_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_approval_item_result_told_by', 'ab_user',
                                    ['result_told_by_id'], ['id'])
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terminated_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('terminated_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('archived_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('archived_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_project_terminated_by', 'ab_user',
                                    ['terminated_by_id'], ['id'])
        batch_op.create_foreign_key('fk_project_archived_by', 'ab_user',
                                    ['archived_by_id'], ['id'])
    op.create_table(
        'item_material',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('status', _enum(("RECEIVED", "MISSING", "DEFERRED"), "ck_materialstatus"),
                  nullable=False),
        sa.Column('promised_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['approval_item.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('item_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_material_item_id'), ['item_id'], unique=False)
    op.create_table(
        'archive_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('category', _enum(("PLAN", "LEDGER", "EVALUATION", "CERTIFICATE",
                                     "SITE_PHOTO", "OTHER"), "ck_archivecategory"),
                  nullable=False),
        sa.Column('stored_name', sa.String(length=200), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('archive_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_file_project_id'), ['project_id'],
                              unique=False)


def downgrade():
    op.drop_table('archive_file')
    op.drop_table('item_material')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint('fk_project_archived_by', type_='foreignkey')
        batch_op.drop_constraint('fk_project_terminated_by', type_='foreignkey')
        for col in ('archived_by_id', 'archived_on', 'terminated_by_id', 'terminated_on'):
            batch_op.drop_column(col)
    with op.batch_alter_table('approval_item', schema=None) as batch_op:
        batch_op.drop_constraint('fk_approval_item_result_told_by', type_='foreignkey')
        for col in ('result_told_by_id', 'result_told_to', 'result_told_at', 'commitment',
                    'refusal_reason', 'responsible_phone', 'responsible_person',
                    'planned_finish_on', 'planned_start_on'):
            batch_op.drop_column(col)
    with op.batch_alter_table('region', schema=None) as batch_op:
        for col in ('archive_required', 'commitment_allowed', 'intake_days'):
            batch_op.drop_column(col)
    _subject_check(NEW_SUBJECTS, OLD_SUBJECTS)
