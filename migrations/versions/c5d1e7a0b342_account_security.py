"""account security: lockout, session version, password age and history

Revision ID: c5d1e7a0b342
Revises: b7e3c2a91f04
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5d1e7a0b342'
down_revision = 'b7e3c2a91f04'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Existing accounts count their password as set now: nobody is forced out at once.
    op.execute("UPDATE ab_user SET password_changed_at = CURRENT_TIMESTAMP")
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("password", sa.String(256), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])


def downgrade():
    op.drop_index("ix_password_history_user_id", table_name="password_history")
    op.drop_table("password_history")
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("must_change_password")
        batch.drop_column("password_changed_at")
        batch.drop_column("session_version")
        batch.drop_column("locked_until")
