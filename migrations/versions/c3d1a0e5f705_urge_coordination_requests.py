"""urge coordination requests: a 催办 work order (and proposal) may chase a coordination request

Revision ID: c3d1a0e5f705
Revises: c3d1a0e5f703
Create Date: 2026-12-04 19:30:00.000000

Issue 12: a dispatcher (or an assistant, proposing) raises a 催办 on a coordination request
as well as on an approval item. One nullable column on each table; runs on PostgreSQL and
SQLite (batch mode).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d1a0e5f705'
down_revision = 'c3d1a0e5f703'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coordination_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_work_order_coordination_request_id'), ['coordination_request_id'], unique=False)
        batch_op.create_foreign_key('fk_work_order_coordination_request_id_coordination_request', 'coordination_request', ['coordination_request_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('urge_proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coordination_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_urge_proposal_coordination_request_id'), ['coordination_request_id'], unique=False)
        batch_op.create_foreign_key('fk_urge_proposal_coordination_request_id_coordination_request', 'coordination_request', ['coordination_request_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('urge_proposal', schema=None) as batch_op:
        batch_op.drop_constraint('fk_urge_proposal_coordination_request_id_coordination_request', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_urge_proposal_coordination_request_id'))
        batch_op.drop_column('coordination_request_id')

    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_constraint('fk_work_order_coordination_request_id_coordination_request', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_work_order_coordination_request_id'))
        batch_op.drop_column('coordination_request_id')
