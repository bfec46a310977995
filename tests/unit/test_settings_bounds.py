"""Settings past what the processes can use are one line at load: counts, periods, the topic prefix, the brokers."""

from __future__ import annotations

import pytest

from lifecycle.errors import UserError
from lifecycle.groups import CHANGELOG_SUFFIX
from lifecycle.settings import Settings
from lifecycle.settings_places import MAX_PREFIX, MAX_TOPIC_NAME
from lifecycle.settings_types import MAX_COUNT, MAX_DAYS
from lifecycle.topics import ALL_TOPICS

HUGE = "99999999999999999999"


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(UserError) as raised:
        Settings.from_env(env)
    return str(raised.value)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        # kafka-python's islice refuses a max_records past sys.maxsize (a ValueError traceback in the poll).
        ("LIFECYCLE_STORE_BATCH_SIZE", HUGE, f"must be at most 100,000, not {HUGE}"),
        ("LIFECYCLE_STORE_BATCH_SIZE", "100001", "must be at most 100,000, not 100001"),
        # timedelta(minutes=…) overflows: the notifier stopped at start with a traceback.
        ("LIFECYCLE_NOTICE_DEFER_MINUTES", HUGE, f"must be at most 527,040 minutes (a year), not {HUGE}"),
        ("LIFECYCLE_NOTICE_MAX_AGE_DAYS", HUGE, f"must be at most {MAX_DAYS:,} days, not {HUGE}"),
        ("LIFECYCLE_REORDER_WINDOW_EVENTS", HUGE, f"must be at most {MAX_COUNT:,}, not {HUGE}"),
        ("LIFECYCLE_NOTICE_DEFER_ATTEMPTS", str(MAX_COUNT + 1), f"must be at most {MAX_COUNT:,}, not {MAX_COUNT + 1}"),
        ("LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT", HUGE, f"must be at most {MAX_COUNT:,}, not {HUGE}"),
        ("LIFECYCLE_WORKER_STANDBY_REPLICAS", HUGE, f"must be at most {MAX_COUNT:,}, not {HUGE}"),
    ],
)
def test_a_count_past_its_bound_is_one_line(env: str, value: str, message: str) -> None:
    assert refusal({env: value}) == f"{env} {message}"


def test_the_bounds_themselves_are_taken() -> None:
    settings = Settings.from_env(
        {
            "LIFECYCLE_STORE_BATCH_SIZE": "100000",
            "LIFECYCLE_NOTICE_DEFER_MINUTES": "527040",
            "LIFECYCLE_NOTICE_MAX_AGE_DAYS": str(MAX_DAYS),
            "LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT": str(MAX_COUNT),
        }
    )
    assert (settings.store_batch_size, settings.notice_defer_minutes) == (100_000, 527_040)
    assert (settings.notice_max_age_days, settings.notice_daily_cap_per_recipient) == (MAX_DAYS, MAX_COUNT)


@pytest.mark.parametrize("prefix", ["hunt x", "hunt/x", "hunt:x", "ünicode", "a\nb"])
def test_a_topic_prefix_kafka_cannot_name_topics_with_is_refused(prefix: str) -> None:
    assert refusal({"LIFECYCLE_TOPIC_PREFIX": prefix}) == (
        f"LIFECYCLE_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-' (as Kafka's topic names), "
        f"not {prefix!r}"
    )


@pytest.mark.parametrize("length", [0, MAX_PREFIX + 1, 300])
def test_a_topic_prefix_too_long_for_the_longest_topic_name_is_refused(length: int) -> None:
    assert refusal({"LIFECYCLE_TOPIC_PREFIX": "x" * length}) == (
        f"LIFECYCLE_TOPIC_PREFIX must be 1 to {MAX_PREFIX} characters (a topic name holds at most 249), not {length}"
    )


def test_the_longest_prefix_leaves_every_topic_name_within_kafkas_limit() -> None:
    settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "a-Z_0." * (MAX_PREFIX // 6) + "x" * (MAX_PREFIX % 6)})
    assert len(settings.topic_prefix) == MAX_PREFIX
    names = [spec.name(settings.topic_prefix) for spec in ALL_TOPICS] + [settings.topic(CHANGELOG_SUFFIX)]
    assert max(len(name) for name in names) == MAX_TOPIC_NAME


def test_the_changelog_the_settings_leave_room_for_is_the_one_the_worker_makes() -> None:
    from streams.changelog import CHANGELOG

    assert CHANGELOG.suffix == CHANGELOG_SUFFIX


@pytest.mark.parametrize(
    ("servers", "shown"),
    [
        ("user:pw-canary@host:9092", "'***@host:9092'"),
        ("h1:9092,SASL_SSL://user:pw-canary@h2:9093", "'***@h2:9093'"),
    ],
)
def test_brokers_with_credentials_are_refused_without_showing_them(servers: str, shown: str) -> None:
    message = refusal({"LIFECYCLE_KAFKA_BOOTSTRAP": servers})
    assert "pw-canary" not in message
    assert "user" not in message.replace("user name", "")
    assert message.endswith(
        "with no user name or password (set LIFECYCLE_KAFKA_SASL_USERNAME and LIFECYCLE_KAFKA_SASL_PASSWORD), "
        f"not {shown}"
    )
