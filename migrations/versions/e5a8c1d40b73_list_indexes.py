"""indexes for the lists' default orders and filters

Revision ID: e5a8c1d40b73
Revises: c5d1e7a0b342
Create Date: 2026-12-03 10:00:00

Each list pages through its rows in a fixed order (FAB adds the id as a tie-breaker):
cards by raised_at DESC, id DESC and work orders by created_at DESC, id DESC (an
ascending two-column index read backwards gives exactly that order), approval items by
due date. With these an OFFSET/LIMIT page is an index range, not a sort of every row in
scope; the status/level filters keep the same order inside their index. The bell's unread
count (every page) gets (user_id, read_at).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a8c1d40b73'
down_revision = 'c5d1e7a0b342'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_warning_card_raised_at_id", "warning_card", ["raised_at", "id"]),
    ("ix_warning_card_level_raised_at", "warning_card", ["level", "raised_at", "id"]),
    ("ix_work_order_created_at_id", "work_order", ["created_at", "id"]),
    ("ix_work_order_status_created_at", "work_order", ["status", "created_at", "id"]),
    ("ix_approval_item_due_on_id", "approval_item", ["due_on", "id"]),
    ("ix_approval_item_status_due_on", "approval_item", ["status", "due_on", "id"]),
    ("ix_notification_user_read_at", "notification", ["user_id", "read_at"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
