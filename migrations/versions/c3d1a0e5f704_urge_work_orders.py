"""urge work orders: 催办 raised by hand (origin, item, category) and assistants' proposals

Revision ID: c3d1a0e5f704
Revises: b2e4f6a8c0d2
Create Date: 2026-12-04 18:14:41.926314

Issue 12: a dispatcher raises a work order by hand on an approval item; an assistant
proposes one (urge_proposal) for the dispatcher to dispatch or decline.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d1a0e5f704'
down_revision = 'b2e4f6a8c0d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('urge_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('BEHIND_SCHEDULE', 'MATERIALS', 'COORDINATION', 'ENTERPRISE', 'OTHER', name='ck_urgecategory', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'DISPATCHED', 'DECLINED', name='ck_urgeproposalstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['approval_item.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('urge_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_urge_proposal_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urge_proposal_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urge_proposal_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urge_proposal_proposed_by_id'), ['proposed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urge_proposal_status'), ['status'], unique=False)
        batch_op.create_index('ix_urge_proposal_status_created_at', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_urge_proposal_work_order_id'), ['work_order_id'], unique=False)

    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.Enum('CARD', 'MANUAL', name='ck_workorderorigin', native_enum=False, create_constraint=True, length=40), server_default='CARD', nullable=False))
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.Enum('BEHIND_SCHEDULE', 'MATERIALS', 'COORDINATION', 'ENTERPRISE', 'OTHER', name='ck_urgecategory', native_enum=False, create_constraint=True, length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_work_order_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_origin'), ['origin'], unique=False)
        batch_op.create_foreign_key('fk_work_order_item_id_approval_item', 'approval_item', ['item_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_constraint('fk_work_order_item_id_approval_item', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_work_order_origin'))
        batch_op.drop_index(batch_op.f('ix_work_order_item_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_category'))
        # The enum CHECKs go first: SQLite's table copy would keep them naming dropped columns.
        batch_op.drop_constraint('ck_urgecategory', type_='check')
        batch_op.drop_constraint('ck_workorderorigin', type_='check')
        batch_op.drop_column('category')
        batch_op.drop_column('item_id')
        batch_op.drop_column('origin')

    with op.batch_alter_table('urge_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_urge_proposal_work_order_id'))
        batch_op.drop_index('ix_urge_proposal_status_created_at')
        batch_op.drop_index(batch_op.f('ix_urge_proposal_status'))
        batch_op.drop_index(batch_op.f('ix_urge_proposal_proposed_by_id'))
        batch_op.drop_index(batch_op.f('ix_urge_proposal_project_id'))
        batch_op.drop_index(batch_op.f('ix_urge_proposal_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_urge_proposal_item_id'))

    op.drop_table('urge_proposal')
