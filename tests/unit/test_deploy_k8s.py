"""The Kubernetes manifests agree with lifecycle/topics.py, the settings and the metrics ports."""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy_files import DEPLOY, k8s_documents, k8s_secret_files, k8s_volume_files, secret_setting_of

from lifecycle.cli import SUBCOMMANDS
from lifecycle.db_logins import WRITERS, dsn_env
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.redact import SECRET_SETTINGS
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


def _secret_keys(spec: dict[str, Any]) -> dict[str, str]:
    """The first container's secret settings: setting -> the key of the Secret its file comes from."""
    return {setting: key for setting, (_, key) in k8s_secret_files(spec, spec["containers"][0]).items()}


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
        keys = _secret_keys(deployments[name]["spec"]["template"]["spec"])
        assert set(keys) & DSN_SETTINGS == {dsn_env(name)}, name  # its own setting: no LIFECYCLE_DATABASE_URL
        assert keys[dsn_env(name)] == f"database-{name}-url"
    dashboard = _secret_keys(deployments["dashboard"]["spec"]["template"]["spec"])
    assert set(dashboard) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_READONLY_URL"}
    assert dashboard["LIFECYCLE_DATABASE_READONLY_URL"] == "database-readonly-url"
    assert not set(_secret_keys(deployments["worker"]["spec"]["template"]["spec"])) & DSN_SETTINGS
    (job,) = k8s_documents("Job")
    migrate = _secret_keys(job["spec"]["template"]["spec"])
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
        settings = {secret_setting_of(variable["name"]) for variable in container.get("env", [])}
        assert "LIFECYCLE_DATABASE_ADMIN_URL" not in settings
        assert not [setting for setting in settings if setting and re.fullmatch(r"LIFECYCLE_DB_\w+_PASSWORD", setting)]
        assert not [source for source in container.get("envFrom", []) if "secretRef" in source]  # never a whole Secret
    # What of lifecycle-app reaches the pod, whoever reads it: its own DSN only, among the database keys.
    app_keys = {
        key
        for volume in spec["volumes"]
        for secret, key in k8s_volume_files(volume).values()
        if secret == "lifecycle-app"
    }
    assert {key for key in app_keys if key.startswith("database-")} <= own, name


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_every_pod_that_logs_in_to_postgresql_verifies_the_server_against_its_ca(
    name_and_spec: tuple[str, dict[str, Any]],
) -> None:
    name, spec = name_and_spec
    container = spec["containers"][0]
    env = {variable["name"]: variable.get("value") for variable in container.get("env", [])}
    if not {secret_setting_of(variable) for variable in env} & DSN_SETTINGS:
        assert "PGSSLMODE" not in env, name
        return
    assert env["PGSSLMODE"] == "verify-full", name
    secrets = {volume["name"]: volume["secret"] for volume in spec["volumes"] if "secret" in volume}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    folder, file = env["PGSSLROOTCERT"].rsplit("/", 1)
    assert secrets[mounts[folder]]["secretName"] == "lifecycle-postgres-ca", name
    assert {"key": "ca.crt", "path": file} in secrets[mounts[folder]]["items"], name


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_no_container_has_a_secret_value_in_its_environment(name_and_spec: tuple[str, dict[str, Any]]) -> None:
    name, spec = name_and_spec
    for container in spec["containers"] + spec.get("initContainers", []):
        for variable in container.get("env", []):
            # Every secret setting as `<NAME>_FILE`, a path; never its value, inline or from a Secret.
            assert variable["name"].upper() not in SECRET_SETTINGS, (name, variable["name"])
            assert "secretKeyRef" not in variable.get("valueFrom", {}), (name, variable["name"])
            assert not re.search(r"PASSWORD|TOKEN|SECRET", variable["name"]) or variable["name"].endswith("_FILE")
        assert not [source for source in container.get("envFrom", []) if "secretRef" in source], name
        # Each `_FILE` names a file that one of its read-only mounts holds from a Secret's key.
        files = k8s_secret_files(spec, container)
        mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
        for variable in container.get("env", []):
            if secret_setting_of(variable["name"]) in files:
                folder = variable["value"].rsplit("/", 1)[0]
                (mount,) = [mount for mount in mounts.values() if mount["mountPath"] == folder]
                assert mount.get("readOnly") is True, (name, variable["name"])
                assert "subPath" not in mount, (name, variable["name"])  # a subPath never sees a changed Secret


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_each_pod_mounts_only_the_secret_keys_it_reads_and_none_readable_by_others(
    name_and_spec: tuple[str, dict[str, Any]],
) -> None:
    name, spec = name_and_spec
    read = {pair for container in spec["containers"] for pair in k8s_secret_files(spec, container).values()}
    assert read, name  # every workload logs in to Kafka or PostgreSQL
    public = {"lifecycle-cluster-ca-cert", "lifecycle-postgres-ca"}  # CAs: not secret, mounted as they are
    for volume in spec["volumes"]:
        if "projected" in volume:
            sources = volume["projected"]["sources"]
            assert all(set(source) == {"secret"} and source["secret"].get("items") for source in sources), name
            assert set(k8s_volume_files(volume).values()) <= read, (name, volume["name"])  # no key it does not read
            # Read by the owner (root) and the group (the pod's fsGroup, which the process runs in), by no other.
            assert volume["projected"]["defaultMode"] == 0o440, (name, volume["name"])
            assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsGroup"], name
        elif "secret" in volume:
            assert volume["secret"]["secretName"] in public, (name, volume["name"])
    # Nor is a secret setting in the ConfigMap, as a value or as a file's path.
    (config,) = k8s_documents("ConfigMap")
    assert not {secret_setting_of(variable) for variable in config["data"]} - {None}


def test_each_process_reads_its_own_secrets_and_no_other_process_s() -> None:
    """Which secret setting each workload reads from a file, and from which Secret's key."""
    own = {
        "worker": {"LIFECYCLE_KAFKA_SASL_PASSWORD": ("lifecycle-worker", "password")},
        "notifier": {"LIFECYCLE_SMTP_PASSWORD": ("lifecycle-app", "smtp-password")},
        "dashboard": {"LIFECYCLE_DASHBOARD_TOKEN": ("lifecycle-app", "dashboard-token")},
    }
    for name, doc in _deployments().items():
        files = k8s_secret_files(doc["spec"]["template"]["spec"], doc["spec"]["template"]["spec"]["containers"][0])
        assert files["LIFECYCLE_KAFKA_SASL_PASSWORD"] == (f"lifecycle-{name}", "password"), name
        assert own.get(name, {}).items() <= files.items(), name
        for setting in ("LIFECYCLE_SMTP_PASSWORD", "LIFECYCLE_DASHBOARD_TOKEN", "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN"):
            assert (setting in files) is (setting in own.get(name, {})), (name, setting)
    (job,) = k8s_documents("Job")
    migrate = k8s_secret_files(job["spec"]["template"]["spec"], job["spec"]["template"]["spec"]["containers"][0])
    assert set(migrate) == {
        "LIFECYCLE_DATABASE_ADMIN_URL",
        *(f"LIFECYCLE_DB_{role}_PASSWORD" for role in ("STORE", "SCHEDULER", "NOTIFIER", "READONLY")),
    }


def test_kustomization_applies_every_manifest() -> None:
    (kustomization,) = k8s_documents("Kustomization")
    manifests = {path.name for path in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(manifests)
