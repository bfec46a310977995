"""Kafka client settings (bootstrap, SASL, TLS) for kafka-python and for faust, from one Settings object."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lifecycle.errors import UserError
from lifecycle.settings import Settings

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


def _check_protocol(settings: Settings) -> str:
    protocol = settings.kafka_security_protocol
    if protocol not in SECURITY_PROTOCOLS:
        raise UserError(f"LIFECYCLE_KAFKA_SECURITY_PROTOCOL={protocol!r} is not one of {', '.join(SECURITY_PROTOCOLS)}")
    if protocol.startswith("SASL") and not settings.kafka_sasl_username:
        raise UserError(f"{protocol} needs LIFECYCLE_KAFKA_SASL_USERNAME and LIFECYCLE_KAFKA_SASL_PASSWORD")
    return protocol


def kafka_python_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by every kafka-python client: bootstrap servers, SASL and TLS."""
    protocol = _check_protocol(settings)
    config: dict[str, Any] = {
        "bootstrap_servers": list(settings.kafka_bootstrap),
        "security_protocol": protocol,
    }
    if protocol.startswith("SASL"):
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    if protocol.endswith("SSL") and settings.kafka_ssl_cafile:
        config["ssl_cafile"] = settings.kafka_ssl_cafile
    return config


@contextmanager
def quiet_kafka() -> Iterator[None]:
    """Silence kafka-python's log lines (bootstrap attempts, refusals) in the block: its failures raise instead."""
    logger = logging.getLogger("kafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context trusting the configured CA bundle (or the system's)."""
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)


def faust_broker_credentials(settings: Settings) -> object | None:
    """The `broker_credentials` for a faust App: SASL credentials, a TLS context, or None for PLAINTEXT."""
    protocol = _check_protocol(settings)
    if protocol.startswith("SASL"):
        import faust

        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context(settings) if protocol == "SASL_SSL" else None,
        )
    if protocol == "SSL":
        return ssl_context(settings)
    return None
