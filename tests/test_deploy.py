"""deploy/: images cannot be built here, so the files that build and run them are checked as
text: valid YAML of the right kinds, every setting they pass exists, non-root pinned images,
the load balancer's config valid for HAProxy, a dashboard that asks for real metrics."""

import ast
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import metrics
from bot.settings import ROOT, Settings, problems

DEPLOY = ROOT / "deploy"
KUBERNETES_KINDS = {
    "ConfigMap",
    "Deployment",
    "Ingress",
    "PersistentVolumeClaim",
    "Service",
    "StatefulSet",
}
SERVICE_IMAGE = "balagh-service"
RASA_IMAGE = "balagh-rasa"


def settings_variables() -> set[str]:
    return {f"BALAGH_{name.upper()}" for name in Settings.model_fields}


def referenced(path: Path) -> set[str]:
    """The ${VARIABLES} a file reads from its environment."""
    return set(re.findall(r"\$\{(BALAGH_[A-Z0-9_]+)", path.read_text()))


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return documents


def containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document.get("spec", {}).get("template", {}).get("spec", {})
    found: list[dict[str, Any]] = spec.get("containers", [])
    return found


def image_of(container: dict[str, Any]) -> str:
    return str(container["image"]).rsplit("/", 1)[-1].split(":")[0]


def test_kubernetes_manifests_are_yaml_of_known_kinds_with_probes():
    documents = kubernetes_documents()
    assert {doc["kind"] for doc in documents} <= KUBERNETES_KINDS
    assert all(doc.get("apiVersion") and doc["metadata"].get("name") for doc in documents)
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    assert set(deployments) == {"balagh-service", "balagh-worker", "balagh-rasa"}
    service = containers(deployments["balagh-service"])[0]
    assert service["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert service["livenessProbe"]["httpGet"]["path"] == "/health/live"
    for deployment in deployments.values():
        assert deployment["spec"]["replicas"] >= 2
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert "livenessProbe" in container
            assert not str(container["image"]).endswith(":latest")


def test_every_setting_passed_to_the_service_and_workers_exists():
    known = settings_variables()
    passed: set[str] = set()
    for doc in kubernetes_documents():
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "balagh-settings":
            passed |= set(doc["data"])
        for container in containers(doc):
            if image_of(container) == SERVICE_IMAGE:
                passed |= {variable["name"] for variable in container.get("env", [])}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        if service.get("image") == SERVICE_IMAGE:
            passed |= set(service["environment"])
    for dockerfile in DEPLOY.glob("Dockerfile"):
        passed |= set(re.findall(r"\b(BALAGH_[A-Z0-9_]+)=", dockerfile.read_text()))
    assert passed, "no setting found: the parsing above is wrong"
    assert passed - known == set()


def test_the_rasa_and_haproxy_containers_get_exactly_what_their_configs_read():
    rasa_reads = referenced(DEPLOY / "rasa" / "endpoints.yml")
    haproxy_reads = referenced(DEPLOY / "haproxy.cfg")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        if service.get("image") == RASA_IMAGE:
            assert set(service["environment"]) == rasa_reads
        if str(service.get("image", "")).startswith("haproxy"):
            assert set(service["environment"]) == haproxy_reads
    for doc in kubernetes_documents():
        for container in containers(doc):
            if image_of(container) == RASA_IMAGE:
                assert {variable["name"] for variable in container["env"]} == rasa_reads


def test_dockerfiles_run_pinned_images_as_an_unprivileged_user_from_repository_files():
    for dockerfile in (DEPLOY / "Dockerfile", DEPLOY / "rasa.Dockerfile"):
        text = dockerfile.read_text()
        for image in re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE):
            if ":" in image:  # a base image (a bare name is an earlier stage)
                assert re.search(r":\d+\.\d+\.\d+", image), f"{dockerfile.name}: {image} unpinned"
        users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
        assert users, f"{dockerfile.name} runs as root"
        assert users[-1] not in ("root", "0")
        for line in re.findall(r"^COPY (?!--from)(.+)$", text, flags=re.MULTILINE):
            for source in line.split()[:-1]:
                assert (ROOT / source).exists(), f"{dockerfile.name} copies missing {source}"


def bot_modules_imported_by(paths: list[Path]) -> set[str]:
    """The files of `bot` these modules import, and those they import in turn."""
    found: set[str] = set()
    todo = list(paths)
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot."):
                path = f"{node.module.replace('.', '/')}.py"  # type: ignore[union-attr]
                if path not in found:
                    found.add(path)
                    todo.append(ROOT / path)
    return found


def test_the_rasa_image_holds_every_module_of_the_service_its_components_import():
    copied = set()
    for line in re.findall(
        r"^COPY (?!--from)(.+)$", (DEPLOY / "rasa.Dockerfile").read_text(), re.M
    ):
        copied.update(line.split()[:-1])
    needed = bot_modules_imported_by(sorted((ROOT / "nlu_components").glob("*.py")))
    assert {"bot/arabic.py", "bot/collector.py"} <= needed
    assert needed <= copied


def test_compose_publishes_only_the_load_balancer():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {"haproxy"}
    assert compose["services"]["mongo1"]["command"][:3] == ["mongod", "--replSet", "rs0"]


def test_haproxy_accepts_the_load_balancer_config():
    env = {
        **os.environ,
        **dict.fromkeys(referenced(DEPLOY / "haproxy.cfg"), "127.0.0.1:1"),
    }
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"  # make test installs it
    checked = subprocess.run(
        [binary, "-c", "-f", str(DEPLOY / "haproxy.cfg")], env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "WARNING" not in checked.stderr


def test_the_dashboard_asks_only_for_metrics_the_service_declares():
    declared = {
        metric.describe()[0].name
        for metric in vars(metrics).values()
        if hasattr(metric, "describe") and hasattr(metric, "_name")
    }
    declared |= {"balagh_outbox_depth", "balagh_outbox_oldest_age_seconds"}
    dashboard = json.loads((DEPLOY / "grafana" / "balagh.json").read_text())
    asked = {
        re.sub(r"_(bucket|count|sum|total)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bbalagh_[a-z_]+", target["expr"])
    }
    assert asked
    assert asked <= {re.sub(r"_total$", "", name) for name in declared}


def _compose_value(value: object) -> str:
    """A Compose value with its `${…}` filled in: the default after `:-`, else an operator's
    long random secret."""
    text = str(value)
    default = re.fullmatch(r"\$\{[A-Z0-9_]+:-([^}]*)\}", text)
    return default.group(1) if default else OPERATOR_VALUE if "${" in text else text


OPERATOR_VALUE = "o" * 48  # what an operator puts in each secret


@dataclass
class Process:
    """A process of the service image in deploy/."""

    name: str
    command: list[str]
    env: dict[str, str]
    stop_seconds: float  # from SIGTERM until the orchestrator kills it


def production_processes() -> list[Process]:
    """Every process of the service image in deploy/."""
    documents = kubernetes_documents()
    [config] = [doc["data"] for doc in documents if doc["kind"] == "ConfigMap"]
    found = []
    for doc in documents:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in containers(doc):
            if image_of(container) == SERVICE_IMAGE:
                env = {key: str(value) for key, value in config.items()}
                for variable in container.get("env", []):
                    env[variable["name"]] = str(variable.get("value", OPERATOR_VALUE))
                # Kubernetes counts the grace period from the start of the preStop hook
                pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {})
                sleep = pre_stop.get("command", ["sleep", "0"])
                assert sleep[0] == "sleep"
                stop = pod.get("terminationGracePeriodSeconds", 30) - float(sleep[1])
                command = container["command"]
                found.append(Process(f"kubernetes {container['name']}", command, env, stop))
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        if service.get("image") == SERVICE_IMAGE:
            env = {key: _compose_value(value) for key, value in service["environment"].items()}
            stop = float(str(service.get("stop_grace_period", "10s")).removesuffix("s"))
            found.append(Process(f"compose {name}", service.get("command", []), env, stop))
    return found


def production_settings(process: Process) -> Settings:
    values = {key.removeprefix("BALAGH_").lower(): value for key, value in process.env.items()}
    return Settings.model_validate(values)  # these values alone, no environment


def test_every_service_and_worker_gets_what_production_refuses_to_start_without():
    """Their secrets filled in, each passes the start-up checks; a worker serving its metrics
    has the token they need in production."""
    processes = production_processes()
    assert {process.name for process in processes} >= {"kubernetes worker", "compose worker1"}
    for process in processes:
        settings = production_settings(process)
        assert settings.environment == "production", process.name
        assert problems(settings) == [], process.name
        if "--metrics-port" in process.command:
            assert settings.metrics_token, process.name


def test_a_stopping_replica_has_time_to_drain_and_finish_before_it_is_killed():
    """On SIGTERM a replica drains (BALAGH_DRAIN_SECONDS), finishes the requests it is
    answering, then the call steps it holds, each within BALAGH_SHUTDOWN_GRACE_SECONDS."""
    replicas = [process for process in production_processes() if "worker" not in process.command]
    assert {process.name for process in replicas} >= {"kubernetes service", "compose service1"}
    for process in replicas:
        settings = production_settings(process)
        needed = settings.drain_seconds + 2 * settings.shutdown_grace_seconds
        assert needed <= process.stop_seconds, process.name
