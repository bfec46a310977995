"""The Kubernetes manifests agree with lifecycle/topics.py, the settings and the metrics ports."""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy_files import DEPLOY, k8s_documents

from lifecycle.cli import SUBCOMMANDS
from lifecycle.db_logins import WRITERS, dsn_env
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import SETTINGS
from lifecycle.topics import ALL_TOPICS, PARTITIONS

PREFIX = "lifecycle"
PROCESSES = ("worker", "store", "scheduler", "notifier", "dashboard")


def _topics_by_name() -> dict[str, dict[str, object]]:
    return {doc["spec"]["topicName"]: doc["spec"] for doc in k8s_documents("KafkaTopic")}


def test_every_topic_spec_has_exactly_one_kafka_topic() -> None:
    declared = sorted(doc["spec"]["topicName"] for doc in k8s_documents("KafkaTopic"))
    assert declared == sorted(spec.name(PREFIX) for spec in ALL_TOPICS)


@pytest.mark.parametrize("spec", ALL_TOPICS, ids=lambda spec: spec.suffix)
def test_kafka_topic_matches_its_spec(spec: object) -> None:
    from lifecycle.topics import TopicSpec

    assert isinstance(spec, TopicSpec)
    resource = _topics_by_name()[spec.name(PREFIX)]
    assert resource["partitions"] == spec.partitions
    config = resource["config"]
    assert isinstance(config, dict)
    assert {key: config.get(key) for key in spec.configs()} == spec.configs()


def test_kafka_topics_belong_to_the_cluster_and_are_dns_names() -> None:
    for doc in k8s_documents("KafkaTopic"):
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "lifecycle"
        assert doc["metadata"]["name"] == doc["spec"]["topicName"]
        assert doc["metadata"]["name"].replace(".", "-").replace("-", "").isalnum()


def _deployments() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc for doc in k8s_documents("Deployment")}


def test_one_deployment_per_process_running_its_subcommand() -> None:
    deployments = _deployments()
    assert sorted(deployments) == sorted(PROCESSES)
    for name, doc in deployments.items():
        container = doc["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][0] in SUBCOMMANDS
        assert container["args"] == [name]


def test_metrics_ports_follow_the_component_offsets() -> None:
    base = int(next(s.default for s in SETTINGS if s.env == "LIFECYCLE_METRICS_PORT"))
    for name, doc in _deployments().items():
        template = doc["spec"]["template"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(base + COMPONENT_PORT_OFFSETS[name])
        ports = {port["name"]: port["containerPort"] for port in template["spec"]["containers"][0]["ports"]}
        assert ports["metrics"] == base + COMPONENT_PORT_OFFSETS[name]


def test_processor_replicas_never_exceed_the_partition_count() -> None:
    assert 1 <= _deployments()["worker"]["spec"]["replicas"] <= PARTITIONS


def test_config_map_only_sets_known_settings_and_secrets_come_from_secrets() -> None:
    known = {setting.env for setting in SETTINGS}
    (config,) = k8s_documents("ConfigMap")
    assert set(config["data"]) <= known
    assert not {"LIFECYCLE_KAFKA_SASL_PASSWORD", "LIFECYCLE_DASHBOARD_TOKEN", "LIFECYCLE_DATABASE_URL"} & set(
        config["data"]
    )
    assert config["data"]["LIFECYCLE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


def _secret_keys(container: dict[str, Any]) -> dict[str, str]:
    return {
        variable["name"]: variable["valueFrom"]["secretKeyRef"]["key"]
        for variable in container.get("env", [])
        if "secretKeyRef" in variable.get("valueFrom", {})
    }


def _pod_specs() -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every Deployment and Job."""
    return [
        (doc["metadata"]["name"], doc["spec"]["template"]["spec"])
        for doc in k8s_documents("Deployment") + k8s_documents("Job")
    ]


DSN_SETTINGS = {setting.env for setting in SETTINGS if re.fullmatch(r"LIFECYCLE_DATABASE_(\w+_)?URL", setting.env)}


def test_each_process_that_writes_rows_has_its_own_dsn_and_the_migration_every_password() -> None:
    deployments = _deployments()
    for name in WRITERS:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        keys = _secret_keys(container)
        assert set(keys) & DSN_SETTINGS == {dsn_env(name)}, name  # its own setting: no LIFECYCLE_DATABASE_URL
        assert keys[dsn_env(name)] == f"database-{name}-url"
    dashboard = _secret_keys(deployments["dashboard"]["spec"]["template"]["spec"]["containers"][0])
    assert set(dashboard) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_READONLY_URL"}
    assert dashboard["LIFECYCLE_DATABASE_READONLY_URL"] == "database-readonly-url"
    assert not set(_secret_keys(deployments["worker"]["spec"]["template"]["spec"]["containers"][0])) & DSN_SETTINGS
    (job,) = k8s_documents("Job")
    migrate = _secret_keys(job["spec"]["template"]["spec"]["containers"][0])
    assert {f"LIFECYCLE_DB_{name.upper()}_PASSWORD" for name in ("store", "scheduler", "notifier", "readonly")} <= set(
        migrate
    )
    assert set(migrate) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_ADMIN_URL"}


@pytest.mark.parametrize("doc", k8s_documents("Deployment"), ids=lambda doc: doc["metadata"]["name"])
def test_no_deployment_gets_the_admin_dsn_a_role_password_or_another_process_secret(doc: dict[str, Any]) -> None:
    name = doc["metadata"]["labels"]["app.kubernetes.io/component"]
    spec = doc["spec"]["template"]["spec"]
    own = {"database-readonly-url"} if name == "dashboard" else {f"database-{name}-url"}
    for container in spec["containers"] + spec.get("initContainers", []):
        env = {variable["name"] for variable in container.get("env", [])}
        assert "LIFECYCLE_DATABASE_ADMIN_URL" not in env
        assert not [variable for variable in env if re.fullmatch(r"LIFECYCLE_DB_\w+_PASSWORD", variable)]
        app_keys = {
            variable["valueFrom"]["secretKeyRef"]["key"]
            for variable in container.get("env", [])
            if variable.get("valueFrom", {}).get("secretKeyRef", {}).get("name") == "lifecycle-app"
        }
        assert {key for key in app_keys if key.startswith("database-")} <= own, name
        assert not [source for source in container.get("envFrom", []) if "secretRef" in source]  # never a whole Secret
    assert not [volume for volume in spec["volumes"] if volume.get("secret", {}).get("secretName") == "lifecycle-app"]


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_every_pod_that_logs_in_to_postgresql_verifies_the_server_against_its_ca(
    name_and_spec: tuple[str, dict[str, Any]],
) -> None:
    name, spec = name_and_spec
    container = spec["containers"][0]
    env = {variable["name"]: variable.get("value") for variable in container.get("env", [])}
    if not set(env) & DSN_SETTINGS:
        assert "PGSSLMODE" not in env, name
        return
    assert env["PGSSLMODE"] == "verify-full", name
    secrets = {volume["name"]: volume["secret"] for volume in spec["volumes"] if "secret" in volume}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    folder, file = env["PGSSLROOTCERT"].rsplit("/", 1)
    assert secrets[mounts[folder]]["secretName"] == "lifecycle-postgres-ca", name
    assert {"key": "ca.crt", "path": file} in secrets[mounts[folder]]["items"], name


def test_kustomization_applies_every_manifest() -> None:
    (kustomization,) = k8s_documents("Kustomization")
    manifests = {path.name for path in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(manifests)
