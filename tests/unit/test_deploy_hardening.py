"""Every workload is probed on its health paths, runs at Pod Security "restricted", within limits, on pinned images."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from deploy_files import DEPLOY, compose, compose_size, k8s_documents, quantity

from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import SETTINGS

OUR_IMAGE = "subscription-lifecycle"
EXACT_TAG = re.compile(r"^[\w.\-/]+:v?\d+(\.\d+)+[\w.\-]*(@sha256:[0-9a-f]{64})?$")
PROCESSES = tuple(COMPONENT_PORT_OFFSETS)
NEEDS_KUBERNETES_API: frozenset[str] = frozenset()  # pods that may mount a service-account token: none calls the API
LIMITS = ("cpu", "memory", "ephemeral-storage")
COMPOSE_LIMITS = ("cpus", "memory", "pids")
# The volume types Pod Security "restricted" allows (the secret files are a projected volume).
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
# The capabilities the postgres image's entrypoint needs to hand its data folder to `postgres` and switch to it.
POSTGRES_ENTRYPOINT_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}


def _version() -> str:
    version: str = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["project"]["version"]
    return version


def _pod_specs() -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every Deployment and Job."""
    documents = k8s_documents("Deployment") + k8s_documents("Job")
    return [(doc["metadata"]["name"], doc["spec"]["template"]["spec"]) for doc in documents]


def _deployment_containers() -> list[tuple[str, dict[str, Any]]]:
    return [
        (doc["metadata"]["labels"]["app.kubernetes.io/component"], doc["spec"]["template"]["spec"]["containers"][0])
        for doc in k8s_documents("Deployment")
    ]


def test_every_process_deployment_has_startup_liveness_and_readiness_probes_on_the_health_paths() -> None:
    containers = dict(_deployment_containers())
    assert sorted(containers) == sorted(PROCESSES)
    for name, container in containers.items():
        paths = {
            probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        }
        assert paths == {"startupProbe": "/readyz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}, name
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "metrics", (name, probe)
        assert ports["metrics"] == 9400 + COMPONENT_PORT_OFFSETS[name]
        # The liveness window must outlast the probe's own patience, or a slow beat restarts a healthy pod.
        assert container["livenessProbe"]["periodSeconds"] * container["livenessProbe"]["failureThreshold"] >= 30


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_every_pod_meets_pod_security_restricted(name_and_spec: tuple[str, dict[str, Any]]) -> None:
    _, spec = name_and_spec
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not any(spec.get(shared) for shared in ("hostNetwork", "hostPID", "hostIPC"))
    assert all("hostPath" not in volume for volume in spec.get("volumes", []))
    assert all(set(volume) - {"name"} <= RESTRICTED_VOLUMES for volume in spec.get("volumes", []))
    empty_dirs = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
    for container in spec["containers"] + spec.get("initContainers", []):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert "add" not in context["capabilities"]
        assert not context.get("privileged")
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        assert mounts.get("/tmp") in empty_dirs  # a read-only root still has a writable /tmp


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_no_pod_mounts_a_service_account_token_unless_it_calls_the_kubernetes_api(
    name_and_spec: tuple[str, dict[str, Any]],
) -> None:
    name, spec = name_and_spec
    assert spec.get("automountServiceAccountToken", True) is (name in NEEDS_KUBERNETES_API), name


def test_no_process_calls_the_kubernetes_api() -> None:
    folders = [DEPLOY.parent / folder for folder in ("lifecycle", "consumers", "streams")]
    sources = [path for folder in folders for path in folder.rglob("*.py")]
    assert sources
    assert not [path for path in sources if re.search(r"^\s*(from|import) kubernetes\b", path.read_text(), re.M)]


@pytest.mark.parametrize("name_and_spec", _pod_specs(), ids=lambda pair: pair[0])
def test_every_container_has_limits_and_every_empty_dir_a_size_within_them(
    name_and_spec: tuple[str, dict[str, Any]],
) -> None:
    name, spec = name_and_spec
    containers = spec["containers"] + spec.get("initContainers", [])
    for container in containers:
        resources = container["resources"]
        assert set(LIMITS) <= set(resources["limits"]), (name, container["name"])
        for kind, requested in resources.get("requests", {}).items():
            assert quantity(requested) <= quantity(resources["limits"][kind]), (name, container["name"], kind)
    empty_dirs = [volume["emptyDir"] for volume in spec["volumes"] if "emptyDir" in volume]
    assert all("sizeLimit" in empty_dir for empty_dir in empty_dirs), name
    # An emptyDir on disk counts as the pod's ephemeral storage (one in memory counts as its memory).
    on_disk = sum(quantity(empty_dir["sizeLimit"]) for empty_dir in empty_dirs if empty_dir.get("medium") != "Memory")
    assert on_disk <= sum(quantity(container["resources"]["limits"]["ephemeral-storage"]) for container in containers)


def test_the_data_folder_is_writable_wherever_lifecycle_home_points() -> None:
    (config,) = k8s_documents("ConfigMap")
    home = config["data"]["LIFECYCLE_HOME"]
    for name, spec in _pod_specs():
        if name.endswith("-migrate"):
            continue
        empty_dirs = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
        mounts = {mount["mountPath"]: mount["name"] for mount in spec["containers"][0]["volumeMounts"]}
        assert mounts.get(home) in empty_dirs, name


def test_every_k8s_image_has_an_explicit_version_tag() -> None:
    for name, spec in _pod_specs():
        for container in spec["containers"]:
            image = container["image"]
            assert EXACT_TAG.match(image), (name, image)
            if image.startswith(f"{OUR_IMAGE}:"):
                assert image.split("@")[0] == f"{OUR_IMAGE}:{_version()}", (name, image)


def test_every_compose_image_is_pinned_to_an_exact_version() -> None:
    for name, service in compose()["services"].items():
        image = service["image"]
        assert not image.endswith(":latest"), (name, image)
        assert EXACT_TAG.match(image), (name, image)
    assert compose()["services"]["worker"]["image"] == f"{OUR_IMAGE}:{_version()}"


def test_the_dockerfile_base_image_is_an_exact_version_and_the_user_is_numeric() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM (\S+)", text, re.M)
    assert re.match(r"^python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?$", base), base
    (user,) = re.findall(r"^USER (\S+)", text, re.M)
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), user


def test_every_compose_service_has_a_healthcheck_and_the_processes_check_their_own_health_path() -> None:
    services = compose()["services"]
    base = int(services["worker"]["environment"]["LIFECYCLE_METRICS_PORT"])
    for name, service in services.items():
        check = service["healthcheck"]
        if check.get("disable"):
            assert service.get("restart") == "no", f"{name}: only one-shot services may go without a healthcheck"
            continue
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in PROCESSES:
        test = services[name]["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "lifecycle.health_probe"], name
        assert test[4] == f"http://127.0.0.1:{base + COMPONENT_PORT_OFFSETS[name]}/readyz", name


def test_compose_mounts_the_kafka_ca_and_points_the_setting_at_it() -> None:
    assert "kafka_ca" in compose()["secrets"]
    assert "KAFKA_CA_FILE" in compose()["secrets"]["kafka_ca"]["file"]
    for name in (*PROCESSES, "topics"):
        service = compose()["services"][name]
        assert "kafka_ca" in service["secrets"], name
        assert service["environment"]["LIFECYCLE_KAFKA_SSL_CAFILE"].endswith("/run/secrets/kafka_ca}"), name
    migrate = compose()["services"]["migrate"]  # `db migrate` never reaches Kafka: nothing of it, its password least
    assert "kafka_ca" not in migrate["secrets"]
    assert not [variable for variable in migrate["environment"] if variable.startswith("LIFECYCLE_KAFKA_")]


def _our_services() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose()["services"].items() if service["image"].startswith(OUR_IMAGE)}


def _image_env(name: str) -> str:
    (value,) = re.findall(rf"^ENV {name}=(\S+)$", (DEPLOY / "Dockerfile").read_text(), re.M)
    return str(value)


def test_compose_processes_run_read_only_as_the_image_user_writing_only_to_bounded_tmpfs_or_their_volume() -> None:
    home = _image_env("LIFECYCLE_HOME")
    assert sorted(_our_services()) == sorted((*PROCESSES, "topics", "migrate"))
    for name, service in _our_services().items():
        assert service["read_only"] is True, name
        assert "user" not in service, name  # the image's USER 10001:10001, never root
        tmpfs = {path: options for path, _, options in (entry.partition(":") for entry in service["tmpfs"])}
        assert "/tmp" in tmpfs, name
        for options in tmpfs.values():  # in memory: each bounded, well within the memory limit
            size = dict(option.split("=", 1) for option in options.split(","))["size"]
            assert compose_size(size) * 4 <= compose_size(service["deploy"]["resources"]["limits"]["memory"]), name
        volumes = [volume for volume in service.get("volumes", []) if isinstance(volume, str)]
        assert home in tmpfs or home in volumes, f"{name}: LIFECYCLE_HOME ({home}) is not writable"


def test_the_worker_keeps_its_table_on_a_volume_of_its_own_that_the_image_user_owns() -> None:
    home = _image_env("LIFECYCLE_HOME")
    worker = compose()["services"]["worker"]
    assert worker["volumes"] == [home]  # anonymous: one per container, so `--scale` never shares a RocksDB folder
    assert not [entry for entry in worker["tmpfs"] if entry.split(":")[0] == home]
    # A new volume takes the owner and mode of the folder it is mounted on: the image makes it the user's.
    (user,) = re.findall(r"^USER (\S+)", (DEPLOY / "Dockerfile").read_text(), re.M)
    uid, gid = user.split(":")
    assert re.search(rf"install -d -o {uid} -g {gid} -m 0700 {re.escape(home)}\b", (DEPLOY / "Dockerfile").read_text())


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_every_compose_service_drops_every_capability_gains_no_privilege_and_has_limits(name: str) -> None:
    service = compose()["services"][name]
    assert service["cap_drop"] == ["ALL"], name
    assert "no-new-privileges:true" in service["security_opt"], name
    assert not service.get("privileged"), name
    assert not {"network_mode", "pid", "ipc", "devices"} & set(service), name
    added = set(service.get("cap_add", []))
    assert added == (POSTGRES_ENTRYPOINT_CAPABILITIES if name == "postgres" else set()), name
    resources = service["deploy"]["resources"]
    assert set(COMPOSE_LIMITS) <= set(resources["limits"]), name
    assert float(resources["limits"]["cpus"]) > 0, name
    assert int(resources["limits"]["pids"]) > 0, name
    for kind, reserved in resources.get("reservations", {}).items():
        assert compose_size(reserved) <= compose_size(resources["limits"][kind]), (name, kind)


def test_the_worker_memory_limit_leaves_room_above_its_measured_peak() -> None:
    readme = " ".join((DEPLOY.parent / "README.md").read_text().split())
    (peak_mib,) = re.findall(r"the worker's peak memory \(about (\d+) MiB\)", readme)
    limit = compose_size(compose()["services"]["worker"]["deploy"]["resources"]["limits"]["memory"])
    assert limit >= 1.25 * int(peak_mib) * 2**20
    (deployment,) = [doc for doc in k8s_documents("Deployment") if doc["metadata"]["name"] == "lifecycle-worker"]
    k8s_limit = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    assert quantity(k8s_limit) >= 1.25 * int(peak_mib) * 2**20


def test_the_health_window_setting_is_documented_for_probes() -> None:
    assert any(setting.env == "LIFECYCLE_HEALTH_LIVE_SECONDS" for setting in SETTINGS)
    assert "LIFECYCLE_HEALTH_LIVE_SECONDS" in (DEPLOY / "README.md").read_text()
