"""LIFECYCLE_KAFKA_BOOTSTRAP: broker lists the Kafka clients can use, and one line for any other value."""

from __future__ import annotations

import pytest
from yarl import URL

from lifecycle.cli import main
from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.settings_types import BROKERS_FORM

ENV = "LIFECYCLE_KAFKA_BOOTSTRAP"


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("kafka:9092", ("kafka:9092",)),
        (" h1:9092, h2:9093 ,", ("h1:9092", "h2:9093")),
        ("kafka.example.com", ("kafka.example.com",)),  # the clients' default port
        ("127.0.0.1:1,127.0.0.1:65535", ("127.0.0.1:1", "127.0.0.1:65535")),
        ("[::1]:9092,[fe80::1%eth0]:9093,[::1]", ("[::1]:9092", "[fe80::1%eth0]:9093", "[::1]")),
        ("bücher.example:9092", ("bücher.example:9092",)),  # IDNA spells it for the resolver
    ],
)
def test_broker_lists_the_clients_take_are_kept(value: str, servers: tuple[str, ...]) -> None:
    assert Settings.from_env({ENV: value}).kafka_bootstrap == servers


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("localhost:notaport", "'localhost:notaport'"),
        ("[::1", "'[::1'"),
        ("h\udcffx:9092", "'h\\udcffx:9092'"),  # an odd byte in the environment, as Python reads it
        ("127.0.0.1:99999", "'127.0.0.1:99999'"),
        ("127.0.0.1:0", "'127.0.0.1:0'"),
        ("kafka:9092,:9092", "':9092'"),
        ("kafka:", "'kafka:'"),
        ("a..b:9092", "'a..b:9092'"),
        ("a b:9092", "'a b:9092'"),
        ("kafka:9092:1", "'kafka:9092:1'"),
        ("[kafka]:9092", "'[kafka]:9092'"),
        ("SASL_SSL://kafka:9092", "'SASL_SSL://kafka:9092'"),
    ],
)
def test_an_entry_the_clients_cannot_use_is_one_line_naming_the_form(value: str, shown: str) -> None:
    with pytest.raises(UserError) as raised:
        Settings.from_env({ENV: value})
    assert str(raised.value) == f"{ENV} must be {BROKERS_FORM}, not {shown}"
    assert "host:port[,host:port...]" in str(raised.value)


@pytest.mark.parametrize("value", ["::1", "fe80::1%eth0", "kafka:9092,2001:db8::7"])
def test_a_bare_ipv6_address_is_one_line_asking_for_brackets(value: str) -> None:
    bare = value.rsplit(",", maxsplit=1)[-1]
    with pytest.raises(UserError) as raised:
        Settings.from_env({ENV: value})
    assert str(raised.value) == (
        f"{ENV} must give an IPv6 address as [address]:port (e.g. [{bare}]:9092), not {bare!r}"
    )


@pytest.mark.parametrize("value", ["[::1]:9092", "[::1]", "[fe80::1%eth0]:9093", "kafka", "::1", "2001:db8::7"])
def test_every_accepted_broker_is_a_url_the_worker_reads(value: str) -> None:
    try:
        servers = Settings.from_env({ENV: value}).kafka_bootstrap
    except UserError:
        return
    for server in servers:
        assert URL(f"lifecycle://{server}").host  # yarl raises on an address it cannot read


@pytest.mark.parametrize("value", [",", " , ,", ""])
def test_a_list_without_a_broker_is_one_line(value: str) -> None:
    with pytest.raises(UserError) as raised:
        Settings.from_env({ENV: value})
    assert str(raised.value) == f"{ENV} must name at least one broker as {BROKERS_FORM}"


def test_replace_checks_the_bootstrap_too() -> None:
    with pytest.raises(UserError, match=f"^{ENV} must be host:port"):
        Settings.from_env({}).replace(kafka_bootstrap=("kafka:port",))


@pytest.mark.parametrize("value", [",", "localhost:notaport", "[::1", "h\udcffx:9092", "::1"])
def test_kafka_commands_refuse_a_bad_bootstrap_in_one_line(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, value)
    assert main(["topics", "--check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert err.startswith(f"lifecycle topics: {ENV} must ")
