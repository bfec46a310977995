"""Every pod is denied all traffic but what its process does: Kafka, PostgreSQL, DNS, SMTP for the notifier only,
its metrics port for the cluster's monitoring (and the dashboard's health check), the dashboard's own port."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from deploy_files import k8s_documents, secret_setting_of

from lifecycle.settings import SETTINGS

APP = {"app.kubernetes.io/name": "lifecycle"}
DNS = {("UDP", 53), ("TCP", 53)}
DSN_SETTINGS = {setting.env for setting in SETTINGS if re.fullmatch(r"LIFECYCLE_DATABASE_(\w+_)?URL", setting.env)}
POSTGRESQL = ("TCP", 5432)
MONITORING = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}
KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


@cache
def _workloads() -> list[dict[str, Any]]:
    return k8s_documents("Deployment") + k8s_documents("Job")


def _labels(doc: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"]["labels"]
    return labels


@cache
def _policies() -> list[dict[str, Any]]:
    return k8s_documents("NetworkPolicy")


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    assert set(selector) <= {"matchLabels"}, policy["metadata"]["name"]  # no matchExpressions to misread
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _own_policy(doc: dict[str, Any]) -> dict[str, Any]:
    component = _labels(doc)["app.kubernetes.io/component"]
    (policy,) = [
        policy
        for policy in _policies()
        if policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == component
    ]
    return policy


@cache
def _config() -> dict[str, str]:
    (config,) = k8s_documents("ConfigMap")
    data: dict[str, str] = config["data"]
    return data


def _container_env(doc: dict[str, Any]) -> dict[str, Any]:
    """The container's settings by name, a secret setting read from a file (`<NAME>_FILE`) under its own name."""
    container = doc["spec"]["template"]["spec"]["containers"][0]
    return {secret_setting_of(variable["name"]) or variable["name"]: variable for variable in container.get("env", [])}


def _ports(rule: dict[str, Any]) -> set[tuple[str, int]]:
    return {(port.get("protocol", "TCP"), port["port"]) for port in rule["ports"]}


def _egress(policy: dict[str, Any]) -> set[tuple[str, int]]:
    return {port for rule in policy["spec"].get("egress", []) for port in _ports(rule)}


def _expected_egress(doc: dict[str, Any]) -> set[tuple[str, int]]:
    """What the workload's container reaches, read from its own settings."""
    env = _container_env(doc)
    expected = set(DNS)
    if "LIFECYCLE_KAFKA_SASL_USERNAME" in env:  # a Kafka client: the bootstrap's listener
        expected.add(("TCP", int(_config()["LIFECYCLE_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])))
    if set(env) & DSN_SETTINGS:
        expected.add(POSTGRESQL)
    if "LIFECYCLE_SMTP_PASSWORD" in env:  # the process that logs in to the SMTP relay sends the mail
        expected.add(("TCP", int(_config()["LIFECYCLE_SMTP_PORT"])))
    if _labels(doc)["app.kubernetes.io/component"] == "dashboard":
        for target in _config()["LIFECYCLE_HEALTH_TARGETS"].split(","):
            expected.add(("TCP", int(target.rsplit(":", 1)[1])))
    return expected


def test_a_default_deny_selects_every_pod_of_the_application_and_nothing_else() -> None:
    (deny,) = [policy for policy in _policies() if policy["metadata"]["name"] == "lifecycle-default-deny"]
    assert deny["spec"]["podSelector"] == {"matchLabels": APP}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert not deny["spec"].get("ingress")
    assert not deny["spec"].get("egress")
    for doc in _workloads():
        assert _selects(deny, _labels(doc)), doc["metadata"]["name"]
    for policy in _policies():  # never one of the cluster's own pods (Strimzi's brokers live in this namespace)
        assert policy["spec"]["podSelector"]["matchLabels"].items() >= APP.items(), policy["metadata"]["name"]


@pytest.mark.parametrize("doc", _workloads(), ids=lambda doc: doc["metadata"]["name"])
def test_every_workload_has_a_policy_of_its_own_that_isolates_it_both_ways(doc: dict[str, Any]) -> None:
    policy = _own_policy(doc)
    assert _selects(policy, _labels(doc))
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    others = [other for other in _workloads() if other["metadata"]["name"] != doc["metadata"]["name"]]
    assert not [other["metadata"]["name"] for other in others if _selects(policy, _labels(other))]


@pytest.mark.parametrize("doc", _workloads(), ids=lambda doc: doc["metadata"]["name"])
def test_egress_is_only_what_the_process_reaches(doc: dict[str, Any]) -> None:
    policies = [policy for policy in _policies() if _selects(policy, _labels(doc))]
    allowed = {port for policy in policies for port in _egress(policy)}
    assert allowed == _expected_egress(doc), doc["metadata"]["name"]


def test_only_the_notifier_may_reach_smtp_and_the_worker_no_database() -> None:
    smtp = ("TCP", int(_config()["LIFECYCLE_SMTP_PORT"]))
    reach = {_labels(doc)["app.kubernetes.io/component"]: _egress(_own_policy(doc)) for doc in _workloads()}
    assert {name for name, ports in reach.items() if smtp in ports} == {"notifier"}
    assert {name for name, ports in reach.items() if POSTGRESQL in ports} == {
        "store",
        "scheduler",
        "notifier",
        "dashboard",
        "migrate",
    }


def test_dns_and_kafka_rules_name_their_peers() -> None:
    kafka_port = int(_config()["LIFECYCLE_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
    (user,) = k8s_documents("KafkaUser")[:1]
    cluster = user["metadata"]["labels"]["strimzi.io/cluster"]
    for policy in _policies():
        for rule in policy["spec"].get("egress", []):
            ports = _ports(rule)
            if ports == DNS:
                assert rule["to"] == [KUBE_DNS], policy["metadata"]["name"]
            elif ports == {("TCP", kafka_port)}:  # the brokers of the cluster the KafkaUsers belong to
                brokers = {"strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka"}
                assert rule["to"] == [{"podSelector": {"matchLabels": brokers}}], policy["metadata"]["name"]


@pytest.mark.parametrize("doc", k8s_documents("Deployment"), ids=lambda doc: doc["metadata"]["name"])
def test_ingress_is_the_metrics_port_from_monitoring_and_the_dashboard_port(doc: dict[str, Any]) -> None:
    policy = _own_policy(doc)
    container = doc["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    rules = policy["spec"]["ingress"]
    assert all(rule.get("from") for rule in rules)  # never open to every source
    by_port = {port: rule["from"] for rule in rules for _, port in _ports(rule)}
    assert set(by_port) == set(ports.values()), doc["metadata"]["name"]
    assert MONITORING in by_port[ports["metrics"]]
    if "http" in ports:  # the dashboard's own page: operators, through the ingress controller only
        assert all(set(peer) == {"namespaceSelector"} for peer in by_port[ports["http"]])


def test_each_health_target_admits_the_dashboard_it_is_checked_by() -> None:
    deployments = {_labels(doc)["app.kubernetes.io/component"]: doc for doc in k8s_documents("Deployment")}
    dashboard = {"podSelector": {"matchLabels": {**APP, "app.kubernetes.io/component": "dashboard"}}}
    dashboard_egress = _own_policy(deployments["dashboard"])["spec"]["egress"]
    for target in _config()["LIFECYCLE_HEALTH_TARGETS"].split(","):
        name, url = target.split("=", 1)
        port = int(url.rsplit(":", 1)[1])
        own = {"podSelector": {"matchLabels": {**APP, "app.kubernetes.io/component": name}}}
        assert {"to": [own], "ports": [{"protocol": "TCP", "port": port}]} in dashboard_egress, name
        ingress = _own_policy(deployments[name])["spec"]["ingress"]
        assert any(dashboard in rule["from"] and ("TCP", port) in _ports(rule) for rule in ingress), name


def test_the_migrate_job_admits_nothing() -> None:
    (job,) = k8s_documents("Job")
    assert _own_policy(job)["spec"]["ingress"] == []
