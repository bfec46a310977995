"""A trickle of new, valid purchases with fresh serials, happening now: keeps a demo pipeline moving."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaProducer

import schemas
from lifecycle.kafka_config import kafka_python_config
from lifecycle.samples.events import purchase
from lifecycle.settings import Settings
from lifecycle.topics import PURCHASES

# (product, version, license type, term, amount): current versions, so support starts at once.
OFFERS: tuple[tuple[str, str, str, int | None, str], ...] = (
    ("backup-advanced", "12.5", "perpetual", None, "899.00"),
    ("true-image", "2026", "subscription", 12, "59.99"),
    ("true-image", "2026", "perpetual", None, "49.99"),
    ("disk-director", "13", "perpetual", None, "49.99"),
)


def fresh_purchase(rng: random.Random, now: datetime | None = None) -> dict[str, Any]:
    """One online-store purchase of a current product with a new serial, occurring now."""
    tag = secrets.token_hex(5)
    name, version, license_type, term, amount = rng.choice(OFFERS)
    account = f"acct-live-{tag[:4]}"
    return purchase(
        f"live-{tag}",
        now or datetime.now(UTC),
        f"LIVE-{tag.upper()}",
        account,
        name,
        version,
        license_type=license_type,
        term_months=term,
        contact={"email": f"{account}@customers.example.com", "name": f"Live {tag[:4].upper()}"},
        amount=amount,
    )


class Trickle:
    """Sends validated fresh purchases to the purchases topic, keyed by serial."""

    def __init__(self, settings: Settings, seed: int | None = None) -> None:
        self.topic = PURCHASES.name(settings.topic_prefix)
        self.rng = random.Random(seed)
        self.producer = KafkaProducer(acks="all", linger_ms=5, **kafka_python_config(settings))
        self.sent = 0

    def send_one(self) -> str:
        """Send one purchase; return its serial."""
        event = schemas.validate("purchase", fresh_purchase(self.rng))
        self.producer.send(self.topic, key=event["serial"].encode(), value=schemas.encode(event))
        self.sent += 1
        serial: str = event["serial"]
        return serial

    def close(self) -> None:
        """Flush what is pending and close."""
        self.producer.flush(timeout=10)
        self.producer.close(timeout=10)
