"""audit trail: object label, keyset indexes for the list's filters, append-only trigger

Revision ID: a7c3e9d2b815
Revises: 3f8a1c5d7e20
Create Date: 2026-12-03 14:00:00

``object_label`` keeps how the object read when the event happened (a deleted project's
name, a person's name and account). The list pages newest first by (at, id) with a capped
count; every filter it offers (action, user id, account name, object) gets an index ending
in (at, id), so page 1 and the next page of a filter are a short index range at 2,000,000
rows. The single-column indexes they replace go.

On PostgreSQL the trail is append-only in the database itself: a trigger refuses every
UPDATE and TRUNCATE of ``audit_record``, and every DELETE unless the transaction set
``SET LOCAL app.audit_archive = 'on'``, which only the archive job does (after the rows are
written to the archive file, app/services/audit_archive.py). SQLite (the embedded default)
has no such trigger: there the trail is read-only through the application only.
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


APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('app.audit_archive', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only the audit archive job removes rows, after archiving them.';
END
$$;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only();
"""


def upgrade():
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_label', sa.String(length=200), nullable=True))
    for name, columns in NEW:
        op.create_index(name, 'audit_record', columns, unique=False)
    for name, _columns in OLD:
        op.drop_index(name, table_name='audit_record')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_record")
        op.execute("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    for name, columns in OLD:
        op.create_index(name, 'audit_record', columns, unique=False)
    for name, _columns in reversed(NEW):
        op.drop_index(name, table_name='audit_record')
    with op.batch_alter_table('audit_record', schema=None) as batch_op:
        batch_op.drop_column('object_label')
