"""A failed Kafka bootstrap becomes one line naming the setting to check, for each step that can fail."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from kafka.errors import KafkaTimeoutError, SaslAuthenticationFailedError
from ports import free_port

from lifecycle.kafka_diagnosis import bootstrap_address, explain_bootstrap_failure
from lifecycle.settings import Settings

PASSWORD = "sasl-password-canary-77"
TIMEOUT = KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:1']")


def _settings(port: int, protocol: str = "SASL_SSL", cafile: str = "") -> Settings:
    return Settings.from_env(
        {
            "LIFECYCLE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
            "LIFECYCLE_KAFKA_SECURITY_PROTOCOL": protocol,
            "LIFECYCLE_KAFKA_SASL_USERNAME": "lifecycle",
            "LIFECYCLE_KAFKA_SASL_PASSWORD": PASSWORD,
            "LIFECYCLE_KAFKA_SSL_CAFILE": cafile,
        }
    )


def _serve(listener: socket.socket, context: ssl.SSLContext | None) -> None:
    """Accept connections, do the TLS handshake when there is a context, and hang up (as on a refused login)."""
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        try:
            if context is not None:
                context.wrap_socket(connection, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass
        connection.close()


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, str]:
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, str(path)


def _listener(context: ssl.SSLContext | None) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=_serve, args=(listener, context), daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def tls_port(ca: tuple[trustme.CA, str]) -> Iterator[int]:
    """A TLS listener with a certificate for 127.0.0.1 from `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert("127.0.0.1").configure_cert(context)
    yield from _listener(context)


@pytest.fixture
def localhost_only_port(ca: tuple[trustme.CA, str]) -> Iterator[int]:
    """A TLS listener whose certificate names only `localhost`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca[0].issue_cert("localhost").configure_cert(context)
    yield from _listener(context)


@pytest.fixture
def plain_port() -> Iterator[int]:
    yield from _listener(None)


def _one_line(message: str) -> str:
    assert "\n" not in message
    assert PASSWORD not in message
    return message


def test_nothing_listening_says_no_broker_answers() -> None:
    port = free_port()
    message = _one_line(explain_bootstrap_failure(_settings(port), TIMEOUT))
    assert message.startswith(f"no Kafka broker answers at 127.0.0.1:{port}")
    assert "LIFECYCLE_KAFKA_BOOTSTRAP" in message


def test_a_session_ended_after_tls_is_a_refused_sasl_login(tls_port: int, ca: tuple[trustme.CA, str]) -> None:
    message = _one_line(explain_bootstrap_failure(_settings(tls_port, cafile=ca[1]), TIMEOUT))
    assert message.startswith(f"the Kafka broker at 127.0.0.1:{tls_port} refused the SASL login of 'lifecycle'")
    assert message.endswith(
        "check LIFECYCLE_KAFKA_SASL_USERNAME and LIFECYCLE_KAFKA_SASL_PASSWORD (and LIFECYCLE_KAFKA_SASL_MECHANISM)"
    )


def test_the_library_s_own_sasl_error_says_the_same() -> None:
    failure = SaslAuthenticationFailedError("Authentication failed: invalid credentials")
    message = _one_line(explain_bootstrap_failure(_settings(free_port()), failure))
    assert "refused the SASL login of 'lifecycle'" in message
    assert "LIFECYCLE_KAFKA_SASL_PASSWORD" in message


def test_an_untrusted_certificate_names_the_ca_file(tls_port: int, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    message = _one_line(explain_bootstrap_failure(_settings(tls_port, cafile=str(other)), TIMEOUT))
    assert "presents a certificate that is not trusted" in message
    assert message.endswith("check LIFECYCLE_KAFKA_SSL_CAFILE")


def test_a_certificate_for_another_name_names_the_bootstrap(
    localhost_only_port: int, ca: tuple[trustme.CA, str]
) -> None:
    message = _one_line(explain_bootstrap_failure(_settings(localhost_only_port, cafile=ca[1]), TIMEOUT))
    assert "is not valid for the host name '127.0.0.1'" in message
    assert "check LIFECYCLE_KAFKA_BOOTSTRAP" in message


def test_tls_asked_of_a_plain_listener_names_the_protocol(plain_port: int) -> None:
    message = _one_line(explain_bootstrap_failure(_settings(plain_port, protocol="SSL"), TIMEOUT))
    assert message.startswith(f"no TLS session with the Kafka broker at 127.0.0.1:{plain_port}")
    assert "LIFECYCLE_KAFKA_SECURITY_PROTOCOL (SSL)" in message


def test_plaintext_against_a_listener_that_answers_nothing_names_the_protocol(plain_port: int) -> None:
    message = _one_line(explain_bootstrap_failure(_settings(plain_port, protocol="PLAINTEXT"), TIMEOUT))
    assert "accepts connections but no session came of it" in message
    assert message.endswith("check LIFECYCLE_KAFKA_SECURITY_PROTOCOL (PLAINTEXT)")


@pytest.mark.parametrize(
    ("server", "address"),
    [
        ("kafka", ("kafka", 9092)),
        ("kafka:9093", ("kafka", 9093)),
        (" 10.0.0.1:19092 ", ("10.0.0.1", 19092)),
        ("[::1]:9094", ("::1", 9094)),
        ("::1", ("::1", 9092)),
        ("[::1]", ("::1", 9092)),
    ],
)
def test_every_bootstrap_form_kafka_accepts_names_a_host_and_port(server: str, address: tuple[str, int]) -> None:
    assert bootstrap_address(server) == address
