"""The dashboard shows the support case decisions the CRM was sent, counted by basis, newest first."""

from __future__ import annotations

import orjson
from dashboard_fixtures import Dashboard
from examples import example, example_names
from kafka import KafkaProducer

from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def test_case_decisions_are_counted_by_basis_and_listed(dashboard: Dashboard, settings: Settings) -> None:
    decisions = [example("case_decision", name) for name in example_names("case_decision")]
    producer = KafkaProducer(acks="all", **kafka_python_config(settings))
    try:
        for decision in decisions:
            producer.send(
                settings.topic("case-decisions"), key=decision["serial"].encode(), value=orjson.dumps(decision)
            )
        producer.send(settings.topic("case-decisions"), key=b"SN-X", value=b"\xff not a decision")
        producer.flush(timeout=20)
    finally:
        producer.close()

    overview = dashboard.poll("/api/overview", lambda view: view["case_decisions"].get("total") == 3)
    shown = overview["case_decisions"]
    assert {(row["eligible"], row["basis"], row["count"]) for row in shown["by_basis"]} == {
        (True, "ppi", 1),
        (False, "none", 1),
        (False, "(not a decision)", 1),
    }
    assert {item["case_number"] for item in shown["items"]} == {d["case_number"] for d in decisions} | {None}
