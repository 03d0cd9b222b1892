"""optional user e-mail

Revision ID: a6d2f0c4e9b1
Revises: a7c3e9d2b815
Create Date: 2026-12-04 10:00:00

Many county staff have no work e-mail: the address becomes optional. The unique
constraint stays (NULLs do not collide); empty addresses are stored as NULL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6d2f0c4e9b1'
down_revision = 'a7c3e9d2b815'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=320), nullable=True)
    op.execute("UPDATE ab_user SET email = NULL WHERE email = ''")


def downgrade():
    # Back to NOT NULL: accounts without an address get a unique placeholder.
    op.execute("UPDATE ab_user SET email = username || '@no-email.invalid' "
               "WHERE email IS NULL")
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=320), nullable=False)
