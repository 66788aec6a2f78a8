"""Statements the server records itself (completions, quiz results, credits, certificates):
each has an id derived from what it says, so it is stored once however often it is said."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from catalog.clock import utcnow
from catalog.database import db, upsert
from catalog.learning.models import Statement

ID_LENGTH = 64  # Statement.statement_id

# A device's statement ids never hold ':' and the server's always do (verb:type:id[:key]): a
# learner cannot take the id of a record the server will write (a failed exam, say) first.
DEVICE_STATEMENT_ID = r"^[A-Za-z0-9._~-]{8,64}$"


def digest(data: dict[str, Any]) -> str:
    """A statement's content, canonically (the id aside), to tell a retry from a clash."""
    content = {k: v for k, v in data.items() if k != "id"}
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    user_id: int,
    verb: str,
    object_type: str,
    object_id: int | str,
    *,
    when: datetime | None = None,
    result: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    """Store the statement once (``key`` tells apart repeatable ones, such as attempts)."""
    when = when or utcnow()
    statement_id = f"{verb}:{object_type}:{object_id}" + (f":{key}" if key else "")
    if len(statement_id) > ID_LENGTH:  # cut, two statements would be one: cut and fingerprinted
        fingerprint = hashlib.sha256(statement_id.encode()).hexdigest()[:16]
        statement_id = f"{statement_id[: ID_LENGTH - 17]}~{fingerprint}"
    data = {"verb": verb, "object": {"type": object_type, "id": str(object_id)}, "result": result}
    db.session.execute(
        upsert(Statement)
        .values(
            statement_id=statement_id,
            user_id=user_id,
            verb=verb,
            object_type=object_type,
            object_id=str(object_id),
            result=result,
            context=None,
            timestamp=when,
            stored=utcnow(),
            content_hash=digest(data),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "statement_id"])
    )
