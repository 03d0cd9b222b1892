"""The known state every test starts from: a copy of the database taken once the session's
base data (the ``world``) is built, and a restore of just the tables a test has changed.

Every table of the ``public`` schema gets a statement-level trigger that writes the table's
name into ``test_known_state.dirty``. The trigger fires in whatever connection writes, so
changes made by the test client, a real RQ worker in a subprocess, a live server or two
concurrent scans are all seen; a write that is rolled back leaves no mark. Restoring
deletes the rows of each marked table and copies its saved rows back, with foreign-key
triggers off (``session_replication_role = replica``) so the order of tables does not
matter. Sequences are not rewound: ids are never reused, so a stale RQ job or job file can
never be taken for a new one.

Layers: a module- or class-scoped fixture that commits rows before its tests run adds a
layer (``push``) holding its tables; the tests of that module start from the base plus that
layer, and ``pop`` goes back to the layer below when the module is done.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

SCHEMA = "test_known_state"
# Alembic's own row says which migrations ran; no test writes it.
UNTRACKED = frozenset({"alembic_version"})


class KnownState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.layers: list[dict[str, str]] = []  # per layer: table -> its saved copy
        self._columns: dict[str, str] = {}

    # -- set-up ---------------------------------------------------------------------------
    def install(self) -> None:
        """Create the marks table and the triggers, and save every table as the base."""
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            # No unique key: a second writer of the same table must never wait on the first.
            conn.execute(text(f"CREATE UNLOGGED TABLE {SCHEMA}.dirty (name text NOT NULL)"))
            conn.execute(text(f"""
                CREATE FUNCTION {SCHEMA}.mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM {SCHEMA}.dirty WHERE name = TG_TABLE_NAME)
                    THEN
                        INSERT INTO {SCHEMA}.dirty (name) VALUES (TG_TABLE_NAME);
                    END IF;
                    RETURN NULL;
                END $$"""))
            for table in self.tables(conn):
                conn.execute(text(
                    f'CREATE TRIGGER zz_test_known_state AFTER INSERT OR UPDATE OR DELETE '
                    f'OR TRUNCATE ON public."{table}" FOR EACH STATEMENT '
                    f'EXECUTE FUNCTION {SCHEMA}.mark_dirty()'))
            self.layers = [self._save(conn, self.tables(conn), 0)]
            conn.execute(text(f"DELETE FROM {SCHEMA}.dirty"))

    def tables(self, conn: Connection) -> list[str]:
        return [t for t in conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))
            if t not in UNTRACKED]

    def _save(self, conn: Connection, tables, depth: int) -> dict[str, str]:
        saved = {}
        for table in tables:
            copy = f'{SCHEMA}."{depth}_{table}"'
            conn.execute(text(f"DROP TABLE IF EXISTS {copy}"))
            conn.execute(text(f'CREATE TABLE {copy} AS SELECT * FROM public."{table}"'))
            saved[table] = copy
        return saved

    # -- per test and per module ----------------------------------------------------------
    def dirty(self, conn: Connection) -> set[str]:
        return set(conn.scalars(text(f"SELECT DISTINCT name FROM {SCHEMA}.dirty")))

    def restore_needed(self) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.dirty)")))

    def push(self) -> int:
        """Save the tables changed since the last restore as a new layer; the new depth."""
        with self.engine.begin() as conn:
            changed = self.dirty(conn)
            self.layers.append(self._save(conn, sorted(changed), len(self.layers)))
            conn.execute(text(f"DELETE FROM {SCHEMA}.dirty"))
        return len(self.layers)

    def restore(self, extra: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """Put every changed table (and ``extra``) back as the top layers have it; the
        tables restored."""
        with self.engine.begin() as conn:
            # A test that left a transaction open on a table must fail here, not hang.
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            changed = self.dirty(conn) | set(extra)
            if not changed:
                return changed
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in sorted(changed):
                copy = self._copy_of(table)
                if copy is None:  # a table made by a test (none do today): leave it be
                    continue
                columns = self._column_list(conn, table)
                conn.execute(text(f'DELETE FROM public."{table}"'))
                conn.execute(text(f'INSERT INTO public."{table}" ({columns}) '
                                  f'OVERRIDING SYSTEM VALUE SELECT {columns} FROM {copy}'))
            conn.execute(text(f"DELETE FROM {SCHEMA}.dirty"))
        return changed

    def pop(self, depth: int) -> set[str]:
        """Drop the layers above ``depth`` and restore the tables they held."""
        held: set[str] = set()
        with self.engine.begin() as conn:
            while len(self.layers) > depth:
                layer = self.layers.pop()
                held |= set(layer)
                for copy in layer.values():
                    conn.execute(text(f"DROP TABLE IF EXISTS {copy}"))
        return self.restore(held)

    def _copy_of(self, table: str) -> str | None:
        for layer in reversed(self.layers):
            if table in layer:
                return layer[table]
        return None

    def _column_list(self, conn: Connection, table: str) -> str:
        if table not in self._columns:
            names = conn.scalars(text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'public' AND table_name = :t AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position"), {"t": table})
            self._columns[table] = ", ".join(f'"{n}"' for n in names)
        return self._columns[table]
