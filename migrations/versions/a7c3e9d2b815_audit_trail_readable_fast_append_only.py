"""audit trail: object label, keyset indexes for the list's filters

Revision ID: a7c3e9d2b815
Revises: 3f8a1c5d7e20
Create Date: 2026-12-03 14:00:00

``object_label`` keeps how the object read when the event happened (a deleted project's
name, a person's name and account). The list pages newest first by (at, id) with a capped
count; every filter it offers (action, user id, account name, object) gets an index ending
in (at, id), so page 1 and the next page of a filter are a short index range at 2,000,000
rows. The single-column indexes they replace go.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b815'
down_revision = '3f8a1c5d7e20'
branch_labels = None
depends_on = None

OLD = (("ix_audit_record_at", ["at"]), ("ix_audit_record_model", ["model"]),
       ("ix_audit_record_object_id", ["object_id"]), ("ix_audit_record_user_id", ["user_id"]))
NEW = (("ix_audit_record_at_id", ["at", "id"]),
       ("ix_audit_record_action_at", ["action", "at", "id"]),
       ("ix_audit_record_user_at", ["user_id", "at", "id"]),
       ("ix_audit_record_username_at", ["username", "at", "id"]),
       ("ix_audit_record_object_at", ["model", "object_id", "at", "id"]))


def upgrade():
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_label', sa.String(length=200), nullable=True))
    for name, columns in NEW:
        op.create_index(name, 'audit_record', columns, unique=False)
    for name, _columns in OLD:
        op.drop_index(name, table_name='audit_record')


def downgrade():
    for name, columns in OLD:
        op.create_index(name, 'audit_record', columns, unique=False)
    for name, _columns in reversed(NEW):
        op.drop_index(name, table_name='audit_record')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_column('object_label')
