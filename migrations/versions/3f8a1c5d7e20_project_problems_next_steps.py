"""project problems and next steps (存在问题, 下步计划)

Revision ID: 3f8a1c5d7e20
Revises: e5a8c1d40b73
Create Date: 2026-12-03 10:00:00

Two free-text fields the assistant keeps for the progress meetings; the 重大项目推进台账
prints them.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3f8a1c5d7e20'
down_revision = 'e5a8c1d40b73'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problems', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_steps', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('next_steps')
        batch_op.drop_column('problems')
