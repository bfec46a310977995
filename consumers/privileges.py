"""A process's check at start that its login role has every right of its row of consumers/grants.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumers.grants import GRANTS
from lifecycle.db_logins import dsn_env
from lifecycle.errors import UserError

# Per (table, right): true, false, or NULL when the table does not exist (has_table_privilege would raise).
# A superuser or the table's owner has every right.
_RIGHTS = """
SELECT current_user, grant_table, grant_right,
       CASE WHEN to_regclass(grant_table) IS NULL THEN NULL
            ELSE has_table_privilege(current_user, grant_table, grant_right) END
FROM unnest(%s::text[], %s::text[]) AS wanted(grant_table, grant_right)
"""


def refusal(process: str, role: str, has_privilege: Callable[[str, str], bool | None]) -> str | None:
    """One line naming what `role` lacks of the rights `process` needs, with the fix; None when it lacks nothing."""
    missing: dict[str, list[str]] = {}
    absent: list[str] = []
    for table, rights in GRANTS[process].items():
        for right in rights:
            answer = has_privilege(table, right)
            if answer is None:
                absent.append(table)
                break
            if not answer:
                missing.setdefault(table, []).append(right)
    if absent:
        tables = f"the {absent[0]} table does not" if len(absent) == 1 else f"the {', '.join(absent)} tables do not"
        return f"{tables} exist: run `lifecycle db migrate` first"
    if not missing:
        return None
    lacks = "; ".join(f"{', '.join(rights)} on {table}" for table, rights in missing.items())
    return (
        f"the {process}'s role {role} lacks {lacks}: run `lifecycle db migrate`, "
        f"or log in as the {process}'s own role ({dsn_env(process)})"
    )


def check_privileges(connection: Any, process: str) -> None:
    """Raise a one-line UserError when the role `connection` logs in as lacks a right `process` needs."""
    wanted = [(table, right) for table, rights in GRANTS[process].items() for right in rights]
    with connection.cursor() as cursor:
        cursor.execute(_RIGHTS, ([table for table, _ in wanted], [right for _, right in wanted]))
        rows = cursor.fetchall()
    if not connection.autocommit:
        connection.rollback()  # no transaction left open by a check
    answers = {(str(table), str(right)): ok for _, table, right, ok in rows}
    role = str(rows[0][0]) if rows else "?"
    line = refusal(process, role, lambda table, right: answers.get((table, right)))
    if line:
        raise UserError(line)
