"""Why no Kafka client could bootstrap, in one line naming the setting to check.

kafka-python reports every failed bootstrap as "Unable to bootstrap": a broker that is down, a certificate it
does not trust and a refused SASL login look the same. A broker refusing a SCRAM login over TLS closes the
connection without an error response, so the library never sees SaslAuthenticationFailedError. The probe below
retraces the steps (TCP, then TLS with the clients' own context) to say which one failed.
"""

from __future__ import annotations

import socket
import ssl

from kafka.errors import KafkaError, SaslAuthenticationFailedError, UnsupportedSaslMechanismError

from lifecycle.kafka_config import ssl_context
from lifecycle.settings import Settings

PROBE_TIMEOUT_S = 5.0
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH_CODES = (62, 64)


def bootstrap_address(server: str) -> tuple[str, int]:
    """(host, port) of a bootstrap entry: `host`, `host:port`, `[v6]:port` or a bare IPv6 address (port 9092)."""
    server = server.strip()
    host, colon, port = server.rpartition(":")
    if not colon or not port.isdigit() or (host.count(":") and not host.startswith("[")):
        return server.strip("[]"), 9092
    return host.strip("[]"), int(port)


def sasl_refused(settings: Settings, where: str, detail: str = "") -> str:
    """The line for a refused SASL login."""
    said = f" ({detail})" if detail else ""
    return (
        f"the Kafka broker at {where} refused the SASL login of {settings.kafka_sasl_username!r} "
        f"({settings.kafka_sasl_mechanism}){said}: check LIFECYCLE_KAFKA_SASL_USERNAME and "
        "LIFECYCLE_KAFKA_SASL_PASSWORD (and LIFECYCLE_KAFKA_SASL_MECHANISM)"
    )


def _tls_problem(settings: Settings, host: str, port: int) -> str | None:
    """Why a TLS session with host:port cannot be had with the clients' context, or None when it can."""
    where = f"{host}:{port}"
    try:
        with (
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as raw,
            ssl_context(settings).wrap_socket(raw, server_hostname=host),
        ):
            return None
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code in _NAME_MISMATCH_CODES:
            return (
                f"the Kafka broker's certificate at {where} is not valid for the host name {host!r}: "
                "check LIFECYCLE_KAFKA_BOOTSTRAP (a name the certificate is issued to)"
            )
        return (
            f"the Kafka broker at {where} presents a certificate that is not trusted ({exc.verify_message}): "
            "check LIFECYCLE_KAFKA_SSL_CAFILE"
        )
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return (
            f"no TLS session with the Kafka broker at {where} ({reason}): check "
            f"LIFECYCLE_KAFKA_SECURITY_PROTOCOL ({settings.kafka_security_protocol}) and LIFECYCLE_KAFKA_BOOTSTRAP"
        )


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def explain_bootstrap_failure(settings: Settings, exc: KafkaError) -> str:
    """One line saying why the bootstrap failed: no broker, TLS, the SASL login, or else what the client said."""
    servers = ",".join(settings.kafka_bootstrap)
    protocol = settings.kafka_security_protocol
    if isinstance(exc, SaslAuthenticationFailedError):
        return sasl_refused(settings, servers, str(exc))
    if isinstance(exc, UnsupportedSaslMechanismError):
        mechanism = settings.kafka_sasl_mechanism
        return f"the Kafka broker at {servers} does not offer {mechanism} ({exc}): check LIFECYCLE_KAFKA_SASL_MECHANISM"
    reachable = [address for address in map(bootstrap_address, settings.kafka_bootstrap) if _answers(*address)]
    if not reachable:
        return (
            f"no Kafka broker answers at {servers} ({type(exc).__name__}: {exc}); start one with "
            "`lifecycle stack up` or set LIFECYCLE_KAFKA_BOOTSTRAP"
        )
    host, port = reachable[0]
    if protocol.endswith("SSL"):
        problem = _tls_problem(settings, host, port)
        if problem is not None:
            return problem
    if protocol.startswith("SASL"):
        # TCP and TLS work, so the session ended at the login: the broker closes it on wrong credentials.
        return sasl_refused(settings, f"{host}:{port}")
    return (
        f"the Kafka broker at {host}:{port} accepts connections but no session came of it "
        f"({type(exc).__name__}: {exc}): check LIFECYCLE_KAFKA_SECURITY_PROTOCOL ({protocol})"
    )
