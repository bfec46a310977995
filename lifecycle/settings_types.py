"""The value types of settings: how each reads the environment's text, and what it refuses (one line each)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from lifecycle.deadletter import MAX_PREVIEW_BYTES
from schemas.checks import FIRST_YEAR, LAST_YEAR

# The contract's dates span FIRST_YEAR to LAST_YEAR: a period longer than that means nothing, and a far longer one
# takes the rules' dates out of the calendar (OverflowError on every event).
MAX_DAYS = (LAST_YEAR - FIRST_YEAR + 1) * 366
MAX_PORT = 65535
# The most any count may be: a signed 32-bit integer, what Kafka's and PostgreSQL's integers hold.
MAX_COUNT = 2**31 - 1
# The most messages the store writes in one transaction (50 times the default), and `store --batch-size`.
MAX_BATCH = 100_000
# Minutes in a year: the longest a deferred notice may be retried.
MAX_MINUTES = 366 * 24 * 60


def _split(value: Any) -> Any:
    """A comma-separated value as its stripped, non-empty parts (an already split value passes through)."""
    return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


def _flag(value: Any) -> Any:
    """Empty is false; the rest is read as pydantic reads a bool (true/false, yes/no, 1/0, on/off)."""
    return False if isinstance(value, str) and not value.strip() else value


def _above_zero_in(unit: str, most: float) -> Callable[[Any], float]:
    """A validator of a number of `unit` above zero and at most `most` (a year: a sleep or a date must hold it)."""

    def check(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = 0.0
        if not number > 0:
            raise ValueError(f"must be a number of {unit} above 0, not {value!r}")
        if not number <= most:  # inf too, and 1e400 (read as inf)
            raise ValueError(f"must be a number of {unit} of at most {most:,.0f} (a year), not {value!r}")
        return number

    return check


def _above_zero(count: int) -> int:
    """A whole number above zero (a period in days, a number of events or messages)."""
    if count <= 0:
        raise ValueError(f"must be a whole number above 0, not {count}")
    return count


def _not_negative(count: int) -> int:
    """A whole number of 0 or more (0 often meaning none, or no limit)."""
    if count < 0:
        raise ValueError(f"must be a whole number of 0 or more, not {count}")
    return count


def _at_most(most: int, unit: str = "") -> Callable[[int], int]:
    """A validator of a whole number of at most `most` (`unit` follows it in the message)."""

    def check(value: int) -> int:
        if value > most:
            raise ValueError(f"must be at most {most:,}{unit}, not {value}")
        return value

    return check


def _within(low: int, high: int, what: str = "a whole number") -> Callable[[int], int]:
    """A validator of a whole number from `low` to `high`."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be {what} from {low} to {high}, not {value}")
        return value

    return check


def _lead_days(days: tuple[int, ...]) -> tuple[int, ...]:
    """Each lead within the contract's span of dates (0: on the expiry day), the longest first."""
    for lead in days:
        _within(0, MAX_DAYS, "whole numbers of days")(lead)
    return tuple(sorted(days, reverse=True))


def _preview_bytes(preview: int) -> int:
    """Within what keeps every dead letter below the message size limit."""
    if not 0 <= preview <= MAX_PREVIEW_BYTES:
        raise ValueError(f"must be between 0 and {MAX_PREVIEW_BYTES}, not {preview}")
    return preview


# A dashboard token shorter than this could be guessed (the login limiter slows guessing, it does not stop it).
MIN_TOKEN_LENGTH = 16


def _token(token: SecretStr) -> SecretStr:
    """Empty (one is generated) or long enough to withstand guessing; the message never shows the token."""
    length = len(token.get_secret_value())
    if 0 < length < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"has {length} characters: use at least {MIN_TOKEN_LENGTH} (e.g. `openssl rand -hex 16`), "
            "or leave it empty to have one generated"
        )
    return token


BROKERS_FORM = "host:port[,host:port...] (IPv6 as [address]:port; ports 1 to 65535)"
_BROKER = re.compile(r"\[(?P<v6>[^\]]*)\](?::(?P<v6port>[0-9]+))?|(?P<host>[^:\[\]]+)(?::(?P<port>[0-9]+))?")
# What a host name may be made of once IDNA has spelled its non-ASCII labels in ASCII.
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _broker(entry: str) -> bool:
    """Whether a bootstrap entry is `host`, `host:port`, `[v6]` or `[v6]:port`."""
    match = _BROKER.fullmatch(entry)
    if match is None:
        return False
    port = match["port"] or match["v6port"]
    if port is not None and not 1 <= int(port) <= MAX_PORT:
        return False
    return _ipv6(match["v6"], scoped=True) if match["host"] is None else _host_name(match["host"])


def _ipv6(text: str, scoped: bool) -> bool:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return address.scope_id is None or (scoped and _HOST_NAME.fullmatch(address.scope_id) is not None)


def _host_name(host: str) -> bool:
    try:
        spelled = host.encode("idna")  # what the resolver is handed: an odd byte or an empty label fails here
    except UnicodeError:
        return False
    return _HOST_NAME.fullmatch(spelled.decode("ascii")) is not None


def _brokers(servers: tuple[str, ...]) -> tuple[str, ...]:
    """At least one broker, each one the Kafka clients can parse and resolve (else they fail with a traceback)."""
    if not servers:
        raise ValueError(f"must name at least one broker as {BROKERS_FORM}")
    for entry in servers:
        if "@" in entry:  # user:password@host: the refusal shows the host only
            raise ValueError(
                f"must be {BROKERS_FORM} with no user name or password (set LIFECYCLE_KAFKA_SASL_USERNAME and "
                f"LIFECYCLE_KAFKA_SASL_PASSWORD), not {'***@' + entry.rpartition('@')[2]!r}"
            )
        if _BROKER.fullmatch(entry) is None and _ipv6(entry, scoped=True):
            # kafka-python reads a bare IPv6 address, but the worker's URL `lifecycle://::1` is unreadable
            raise ValueError(f"must give an IPv6 address as [address]:port (e.g. [{entry}]:9092), not {entry!r}")
        if not _broker(entry):
            raise ValueError(f"must be {BROKERS_FORM}, not {entry!r}")
    return servers


def declared(default: str, meaning: str) -> Any:
    """A setting's default, as the environment's text, and its meaning (the README's table shows both)."""
    return Field(default, description=meaning)


# Each type reads the environment's text: the settings' defaults are that text too, as the README shows it.
Names = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split)]
Brokers = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split), AfterValidator(_brokers)]
Days = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_split), AfterValidator(_lead_days)]
Period = Annotated[int, AfterValidator(_within(1, MAX_DAYS, "a whole number of days"))]
Flag = Annotated[bool, BeforeValidator(_flag)]
Seconds = Annotated[float, BeforeValidator(_above_zero_in("seconds", 366 * 24 * 3600))]
Hours = Annotated[float, BeforeValidator(_above_zero_in("hours", 366 * 24))]
Count = Annotated[int, AfterValidator(_above_zero), AfterValidator(_at_most(MAX_COUNT))]
NotNegative = Annotated[int, AfterValidator(_not_negative), AfterValidator(_at_most(MAX_COUNT))]
BatchSize = Annotated[int, AfterValidator(_above_zero), AfterValidator(_at_most(MAX_BATCH))]
AgeDays = Annotated[int, AfterValidator(_not_negative), AfterValidator(_at_most(MAX_DAYS, " days"))]
Minutes = Annotated[int, AfterValidator(_not_negative), AfterValidator(_at_most(MAX_MINUTES, " minutes (a year)"))]
Port = Annotated[int, AfterValidator(_within(1, MAX_PORT, "a port"))]
# The local broker's controller listens on the port after its own (lifecycle/stack/kafka_files.py).
KafkaPort = Annotated[int, AfterValidator(_within(1, MAX_PORT - 1, "a port"))]
Upper = Annotated[str, AfterValidator(str.upper)]
Lower = Annotated[str, AfterValidator(lambda v: v.strip().lower())]
Folder = Annotated[Path, AfterValidator(Path.resolve)]
PreviewBytes = Annotated[int, AfterValidator(_preview_bytes)]
Token = Annotated[SecretStr, AfterValidator(_token)]
