"""The value types of settings that name a place: a PostgreSQL DSN, the topic prefix."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, SecretStr

from lifecycle import dsn_url
from lifecycle.groups import CHANGELOG_SUFFIX
from lifecycle.topics import ALL_TOPICS

# Kafka's limits on a topic name; the longest under a prefix is the processor's changelog (faust names it).
MAX_TOPIC_NAME = 249
LONGEST_SUFFIX = max(len(CHANGELOG_SUFFIX), *(len(spec.suffix) for spec in ALL_TOPICS))
MAX_PREFIX = MAX_TOPIC_NAME - len(".") - LONGEST_SUFFIX
_TOPIC_CHARACTERS = re.compile(r"[A-Za-z0-9._-]+")


def _dsn(dsn: SecretStr) -> SecretStr:
    """A DSN libpq and yoyo read as it was meant (the message never shows the DSN)."""
    if dsn_url.cut_userinfo(dsn.get_secret_value()):
        raise ValueError(dsn_url.refusal())
    return dsn


def _topic_prefix(prefix: str) -> str:
    """A prefix that keeps every topic name legal for Kafka: its characters, and room for the longest suffix."""
    if not 1 <= len(prefix) <= MAX_PREFIX:
        raise ValueError(
            f"must be 1 to {MAX_PREFIX} characters (a topic name holds at most {MAX_TOPIC_NAME}), not {len(prefix)}"
        )
    if _TOPIC_CHARACTERS.fullmatch(prefix) is None:
        raise ValueError(f"may hold only letters, digits, '.', '_' and '-' (as Kafka's topic names), not {prefix!r}")
    return prefix


Dsn = Annotated[SecretStr, AfterValidator(_dsn)]
TopicPrefix = Annotated[str, AfterValidator(_topic_prefix)]
