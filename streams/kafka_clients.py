"""aiokafka client options (bootstrap, SASL, TLS) from Settings, for the processor's own plain clients."""

from __future__ import annotations

from typing import Any

from lifecycle.kafka_config import kafka_python_config, ssl_context
from lifecycle.settings import Settings

# The isolation level of every read of the inputs: records of aborted transactions are never delivered, and the
# offsets they and the transaction markers take are absent to the in-order guard (the worker and streams/gaps.py).
ISOLATION_LEVEL = "read_committed"


def aiokafka_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaConsumer / AIOKafkaProducer: the same security as every other client."""
    config = kafka_python_config(settings)
    config["bootstrap_servers"] = ",".join(config["bootstrap_servers"])
    config.pop("ssl_cafile", None)
    if config["security_protocol"].endswith("SSL"):
        config["ssl_context"] = ssl_context(settings)
    return config
