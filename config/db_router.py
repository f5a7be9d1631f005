"""The database router: read-heavy reports on the read replica, everything else on "default".

Only installed when `DATABASE_REPLICA_URL` is set (settings add the alias "replica" and this
router). The rule, in full, is casework/replica.py's:

- Reads go to "replica" only inside a report (`casework.replica.REPORT_VIEWS`: the tracker, the
  commitments page, their CSV and XLSX exports and their API lists), on GET or HEAD.
- Read your own writes: the first write in a report (other than to the read log, the audit
  trail, the session or an API token's last use, which no report shows) sends every later read
  of that request to "default", so a request never reads older data than it has just written.
  A form post is never a report, and who is asking is always read from "default".
- Writes always go to "default", even for a row that was read from the replica (Django would
  otherwise save it back where it came from), and migrations run only there.
- A relation between rows of the two aliases is allowed: they are the same database, one a
  moment behind the other.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS

from casework.replica import REPLICA, note_write, reads_from_replica


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if reads_from_replica(model):
            return REPLICA
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            # A row read from the replica, its relations asked for after the report wrote (or
            # outside it): from "default" too, never older than what this request wrote.
            return DEFAULT_DB_ALIAS
        return None  # Django's own choice: "default", or the alias of a related row

    def db_for_write(self, model: type, **hints: Any) -> str:
        note_write(model)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {obj1._state.db, obj2._state.db}
        if aliases <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA
