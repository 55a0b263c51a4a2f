"""A deterministic corpus of realistic Kubernetes manifests, for sidecarlint's benchmark.

    python benchmarks/generate.py OUT_DIR --files 10000 --seed 1

Each file is what one team keeps for one application: a workload (Deployment,
StatefulSet, DaemonSet, Job, CronJob or bare Pod), often with its Service and
ConfigMaps beside it, one to three YAML documents in all. Pods hold one to four
containers: the app, classic helpers in `containers[]` and native sidecars
(`initContainers[]` with `restartPolicy: Always`) drawn from the images people
really run (Fluent Bit, cloud-sql-proxy, Istio's proxyv2, oauth2-proxy, Vault agent,
git-sync, configmap-reload), and regular init containers. Probes, resources,
security contexts, env (with localhost URLs where a helper serves the app), ports
and volumes (emptyDir, configMap, secret, PVC) are present most of the time and
missing some of the time, as in real repositories, so that every rule has work.

Why it looks like this: the benchmark's point is to compare linting with parsing,
so the corpus must have the shape of the issue's (10,000 files, about 34 MB and
16,000 documents) and the mix of fields rules look at; a corpus of empty pods would
flatter the rules and a corpus of giant ConfigMaps would flatter the parser.

Determinism: file `i` is drawn from its own `random.Random` seeded with the corpus
seed and `i`, so a corpus of 1,000 files is the first 1,000 files of one of 10,000
(what the linearity ratio wants), and the same seed and PyYAML version (with or
without libyaml, whose emitter writes the files when present) always give the same bytes. Only the standard library and PyYAML are used.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

# Bump when the output changes, so that benchmarks/run.py regenerates cached corpora.
GENERATOR_VERSION = 1

TEAMS = ("payments", "search", "platform", "data", "identity", "checkout", "media", "ops")
NOUNS = (
    "ledger", "orders", "catalog", "billing", "invoice", "cart", "session", "profile", "report",
    "export", "import", "notify", "mailer", "pricing", "quote", "review", "inventory", "shipping",
    "tracking", "audit", "gateway", "search", "index", "thumbnail", "transcode", "feed", "ranking",
)
ROLES = ("api", "worker", "web", "consumer", "sync", "backend", "frontend", "scheduler", "indexer")
REGISTRIES = ("registry.example.com", "ghcr.io/example", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
WORKLOAD_KINDS = (("Deployment", 47), ("StatefulSet", 12), ("DaemonSet", 7), ("Job", 10), ("CronJob", 12), ("Pod", 12))
CONTAINER_COUNTS = ((1, 38), (2, 35), (3, 18), (4, 9))
HEX = "0123456789abcdef"


def weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    """One of `choices`, by weight; `rng.choices` would do, but this is stable across Pythons."""
    total = sum(weight for _, weight in choices)
    point = rng.randrange(total)
    for value, weight in choices:
        point -= weight
        if point < 0:
            return value
    raise AssertionError("unreachable")


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def hex_string(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(length))


# ----------------------------------------------------------------------------------------
# The pod under construction
# ----------------------------------------------------------------------------------------


@dataclass
class App:
    """What every part of one file agrees on: names, namespace, ports."""

    name: str
    team: str
    namespace: str
    kind: str
    port: int
    labels: dict[str, str]


@dataclass
class Pod:
    """A pod spec being assembled: helpers add containers, volumes and env for the app."""

    app_env: list[dict] = field(default_factory=list)  # env the helpers ask the app to have
    app_mounts: list[dict] = field(default_factory=list)  # mounts the helpers share with the app
    init_containers: list[dict] = field(default_factory=list)
    containers: list[dict] = field(default_factory=list)
    volumes: list[dict] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    config_maps: list[dict] = field(default_factory=list)  # extra documents the file carries

    def add_volume(self, volume: dict) -> None:
        if all(existing["name"] != volume["name"] for existing in self.volumes):
            self.volumes.append(volume)


# ----------------------------------------------------------------------------------------
# Container parts
# ----------------------------------------------------------------------------------------


def resources(rng: random.Random, cpu: str, memory: str) -> dict | None:
    """Requests and a memory limit most of the time; partial or missing now and then."""
    shape = weighted(rng, (("full", 72), ("requests", 10), ("limits", 6), ("none", 12)))
    if shape == "none":
        return None
    limit_memory = memory if chance(rng, 0.6) else _double(memory)
    if shape == "requests":
        return {"requests": {"cpu": cpu, "memory": memory}}
    if shape == "limits":
        return {"limits": {"cpu": _double_cpu(cpu), "memory": limit_memory}}
    result = {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": limit_memory}}
    if chance(rng, 0.3):
        result["limits"]["cpu"] = _double_cpu(cpu)
    if chance(rng, 0.1):
        result["limits"]["ephemeral-storage"] = "1Gi"
    return result


def _double(memory: str) -> str:
    number, unit = int(memory[:-2]), memory[-2:]
    return f"{number * 2}{unit}"


def _double_cpu(cpu: str) -> str:
    return f"{int(cpu[:-1]) * 2}m" if cpu.endswith("m") else str(float(cpu) * 2)


def http_probe(path: str, port: int | str, delay: int, period: int = 10) -> dict:
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": delay, "periodSeconds": period}


def security_context(rng: random.Random) -> dict | None:
    if chance(rng, 0.45):
        return None
    context = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": chance(rng, 0.7),
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    if chance(rng, 0.5):
        context["runAsUser"] = rng.choice((1000, 10001, 65532))
    return context


def set_if(container: dict, key: str, value: Any) -> None:
    """Only the fields that have a value, as people write them."""
    if value is not None:
        container[key] = value


def image_reference(rng: random.Random, repository: str, version: str) -> str:
    """Mostly a version tag; `latest`, no tag, or a digest now and then."""
    form = weighted(rng, (("tag", 88), ("latest", 4), ("bare", 3), ("digest", 5)))
    if form == "latest":
        return f"{repository}:latest"
    if form == "bare":
        return repository
    if form == "digest":
        return f"{repository}@sha256:{hex_string(rng, 64)}"
    return f"{repository}:{version}"


def version(rng: random.Random) -> str:
    return f"{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"


# ----------------------------------------------------------------------------------------
# The app container
# ----------------------------------------------------------------------------------------


def app_env(rng: random.Random, app: App) -> list[dict]:
    env = [
        {"name": "LOG_LEVEL", "value": rng.choice(("info", "debug", "warn"))},
        {"name": "PORT", "value": str(app.port)},
    ]
    if chance(rng, 0.4):
        env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    optional = [
        {"name": "REDIS_URL", "value": f"redis://redis-master.{app.namespace}.svc.cluster.local:6379/0"},
        {"name": "KAFKA_BROKERS", "value": "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092"},
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://localhost:4317"},
        {"name": "OTEL_SERVICE_NAME", "value": app.name},
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": f"{app.name}-secrets", "key": "api-key"}}},
        {"name": "FEATURE_FLAGS", "valueFrom": {"configMapKeyRef": {"name": f"{app.name}-config", "key": "flags"}}},
        {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}},
        {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -Dfile.encoding=UTF-8"},
        {"name": "UPSTREAM_URL", "value": f"http://{rng.choice(NOUNS)}-api.{rng.choice(TEAMS)}.svc:80"},
        {"name": "SENTRY_DSN", "value": f"https://{hex_string(rng, 32)}@sentry.example.com/{rng.randint(2, 99)}"},
    ]
    env.extend(rng.sample(optional, rng.randint(0, 3)))
    return env


def app_probes(rng: random.Random, container: dict, app: App) -> None:
    shape = weighted(rng, (("both", 60), ("readiness", 15), ("startup", 8), ("none", 17)))
    port = "http" if chance(rng, 0.6) else app.port
    if shape in ("both", "readiness", "startup"):
        container["readinessProbe"] = http_probe("/healthz/ready", port, 5)
    if shape in ("both", "startup"):
        container["livenessProbe"] = http_probe("/healthz/live", port, 15, 20)
    if shape == "startup":
        container["startupProbe"] = http_probe("/healthz/started", port, 0, 5) | {"failureThreshold": 30}


def app_container(rng: random.Random, app: App, pod: Pod, suffix: str = "") -> dict:
    name = app.name + suffix
    image = image_reference(rng, f"{rng.choice(REGISTRIES)}/{app.team}/{name}", version(rng))
    container: dict[str, Any] = {"name": name, "image": image}
    if chance(rng, 0.3):
        container["imagePullPolicy"] = "IfNotPresent"
    if app.kind in ("Job", "CronJob"):
        container["command"] = ["python", "-m", f"jobs.{name.replace('-', '_')}"]
        container["args"] = [f"--batch-size={rng.choice((100, 500, 1000))}", "--verbose"]
    ports = [{"name": "http", "containerPort": app.port, "protocol": "TCP"}]
    if chance(rng, 0.4):
        ports.append({"name": "metrics", "containerPort": 9102})
    if app.kind not in ("Job", "CronJob"):
        container["ports"] = ports
    container["env"] = app_env(rng, app) + pod.app_env
    if chance(rng, 0.3):
        container["envFrom"] = [{"configMapRef": {"name": f"{app.name}-config"}}]
    if app.kind not in ("Job", "CronJob"):
        app_probes(rng, container, app)
    set_if(container, "resources", resources(rng, rng.choice(("100m", "250m", "500m")), rng.choice(("256Mi", "512Mi"))))
    set_if(container, "securityContext", security_context(rng))
    mounts = [{"name": "tmp", "mountPath": "/tmp"}] + list(pod.app_mounts)
    if chance(rng, 0.5):
        mounts.append({"name": "config", "mountPath": f"/etc/{app.name}", "readOnly": True})
        pod.add_volume({"name": "config", "configMap": {"name": f"{app.name}-config"}})
    pod.add_volume({"name": "tmp", "emptyDir": {}})
    container["volumeMounts"] = mounts
    return container


# ----------------------------------------------------------------------------------------
# Helpers: each adds its container (classic or native), its volumes and what the app needs
# ----------------------------------------------------------------------------------------


def place_helper(rng: random.Random, pod: Pod, container: dict, native: bool, startup_port: int | None) -> None:
    """In containers[] (classic) or initContainers[] with restartPolicy Always (native)."""
    if native:  # restartPolicy right after the image, where people put it
        head = {"name": container.pop("name"), "image": container.pop("image"), "restartPolicy": "Always"}
        container = head | container
        if startup_port is not None and chance(rng, 0.6):
            container["startupProbe"] = {"tcpSocket": {"port": startup_port}, "periodSeconds": 2, "failureThreshold": 30}
        pod.init_containers.append(container)
    else:
        pod.containers.append(container)


def fluent_bit(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    read_only = chance(rng, 0.8)
    container = {
        "name": "fluent-bit",
        "image": f"cr.fluentbit.io/fluent/fluent-bit:{rng.choice(('2.2.2', '3.0.7', '3.1.4'))}",
        "args": ["-c", "/fluent-bit/etc/fluent-bit.conf"] if chance(rng, 0.7) else
        ["-i", "tail", "-p", f"path=/var/log/{app.name}/*.log", "-o", "stdout"],
        "ports": [{"name": "http-metrics", "containerPort": 2020}],
        "volumeMounts": [
            {"name": "app-logs", "mountPath": f"/var/log/{app.name}", "readOnly": read_only},
            {"name": "fluent-bit-config", "mountPath": "/fluent-bit/etc/"},
        ],
    }
    if chance(rng, 0.6):
        container["livenessProbe"] = http_probe("/", 2020, 10)
    set_if(container, "resources", resources(rng, "50m", "64Mi"))
    place_helper(rng, pod, container, native, None)
    empty_dir = {"sizeLimit": "500Mi"} if chance(rng, 0.4) else {}
    pod.add_volume({"name": "app-logs", "emptyDir": empty_dir})
    pod.add_volume({"name": "fluent-bit-config", "configMap": {"name": f"{app.name}-fluent-bit"}})
    pod.app_mounts.append({"name": "app-logs", "mountPath": f"/var/log/{app.name}"})
    pod.config_maps.append(fluent_bit_config_map(app))


def fluent_bit_config_map(app: App) -> dict:
    conf = "\n".join([
        "[SERVICE]",
        "    Flush         5",
        "    Log_Level     info",
        "    Parsers_File  parsers.conf",
        "    HTTP_Server   On",
        "    HTTP_Listen   0.0.0.0",
        "    HTTP_Port     2020",
        "",
        "[INPUT]",
        "    Name              tail",
        f"    Path              /var/log/{app.name}/*.log",
        "    Parser            json",
        "    Mem_Buf_Limit     5MB",
        "    Skip_Long_Lines   On",
        "",
        "[OUTPUT]",
        "    Name            es",
        "    Match           *",
        "    Host            elasticsearch.logging.svc",
        "    Port            9200",
        f"    Logstash_Prefix {app.team}",
        "",
    ])
    return config_map(app, f"{app.name}-fluent-bit", {"fluent-bit.conf": conf})


def cloud_sql_proxy(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "cloud-sql-proxy",
        "image": f"gcr.io/cloud-sql-connectors/cloud-sql-proxy:{rng.choice(('2.8.2', '2.11.4', '2.13.0'))}",
        "args": [
            "--port=5432",
            "--structured-logs",
            "--health-check",
            "--http-address=0.0.0.0",
            f"example-{app.team}:europe-west1:{app.name}-db",
        ],
        "securityContext": {"runAsNonRoot": True},
    }
    set_if(container, "resources", resources(rng, "100m", "128Mi"))
    place_helper(rng, pod, container, native, 5432)
    if chance(rng, 0.5):
        pod.app_env.append({"name": "DATABASE_URL", "value": f"postgres://{app.name}@127.0.0.1:5432/{app.name.replace('-', '_')}"})
    else:
        pod.app_env.extend([{"name": "DB_HOST", "value": "127.0.0.1"}, {"name": "DB_PORT", "value": "5432"}])


def istio_proxy(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "istio-proxy",
        "image": f"docker.io/istio/proxyv2:{rng.choice(('1.20.8', '1.22.3', '1.23.1'))}",
        "args": [
            "proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info",
        ],
        "env": [
            {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "ISTIO_META_APP_CONTAINERS", "value": app.name},
            {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
            {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
            {"name": "ISTIO_META_WORKLOAD_NAME", "value": app.name},
            {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
        ],
        "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
        "readinessProbe": http_probe("/healthz/ready", 15021, 1, 2),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
        },
        "volumeMounts": [
            {"name": "workload-socket", "mountPath": "/var/run/secrets/workload-spiffe-uds"},
            {"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
            {"name": "istio-data", "mountPath": "/var/lib/istio/data"},
            {"name": "istiod-ca-cert", "mountPath": "/var/run/secrets/istio"},
        ],
    }
    set_if(container, "resources", resources(rng, "100m", "128Mi"))
    place_helper(rng, pod, container, native, 15021)
    for volume in (
        {"name": "workload-socket", "emptyDir": {}},
        {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
        {"name": "istio-data", "emptyDir": {}},
        {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
    ):
        pod.add_volume(volume)
    pod.annotations["sidecar.istio.io/status"] = (
        '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket",'
        '"istio-envoy","istio-data","istiod-ca-cert"],"revision":"default"}'
    )


def oauth2_proxy(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "oauth2-proxy",
        "image": f"quay.io/oauth2-proxy/oauth2-proxy:{rng.choice(('v7.5.1', 'v7.6.0', 'v7.7.1'))}",
        "args": [
            "--http-address=0.0.0.0:4180",
            f"--upstream=http://127.0.0.1:{app.port}/",
            "--provider=oidc",
            "--oidc-issuer-url=https://login.example.com/realms/main",
            "--email-domain=*",
            "--cookie-secure=true",
            "--skip-provider-button=true",
        ],
        "env": [
            {"name": "OAUTH2_PROXY_CLIENT_ID", "valueFrom": {"secretKeyRef": {"name": f"{app.name}-oauth", "key": "client-id"}}},
            {"name": "OAUTH2_PROXY_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": f"{app.name}-oauth", "key": "client-secret"}}},
            {"name": "OAUTH2_PROXY_COOKIE_SECRET", "valueFrom": {"secretKeyRef": {"name": f"{app.name}-oauth", "key": "cookie-secret"}}},
        ],
        "ports": [{"name": "http-oauth", "containerPort": 4180}],
        "readinessProbe": http_probe("/ping", "http-oauth", 5),
    }
    set_if(container, "resources", resources(rng, "50m", "64Mi"))
    place_helper(rng, pod, container, native, 4180)


def vault_agent(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "vault-agent",
        "image": f"hashicorp/vault:{rng.choice(('1.15.6', '1.16.3', '1.17.2'))}",
        "args": ["agent", "-config=/vault/config/agent.hcl"],
        "env": [{"name": "VAULT_ADDR", "value": "https://vault.vault.svc.cluster.local:8200"}],
        "volumeMounts": [
            {"name": "vault-secrets", "mountPath": "/vault/secrets"},
            {"name": "vault-config", "mountPath": "/vault/config", "readOnly": True},
        ],
    }
    set_if(container, "resources", resources(rng, "25m", "64Mi"))
    place_helper(rng, pod, container, native, None)
    pod.add_volume({"name": "vault-secrets", "emptyDir": {"medium": "Memory"}})
    pod.add_volume({"name": "vault-config", "configMap": {"name": f"{app.name}-vault-agent"}})
    pod.app_mounts.append({"name": "vault-secrets", "mountPath": "/vault/secrets", "readOnly": True})


def git_sync(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "git-sync",
        "image": f"registry.k8s.io/git-sync/git-sync:{rng.choice(('v4.1.0', 'v4.2.3', 'v4.3.0'))}",
        "args": [
            f"--repo=https://github.com/example/{app.name}-content",
            "--root=/git",
            "--period=60s",
            "--link=current",
            "--max-failures=10",
        ],
        "volumeMounts": [{"name": "content", "mountPath": "/git"}],
        "securityContext": {"runAsUser": 65533},
    }
    set_if(container, "resources", resources(rng, "10m", "32Mi"))
    place_helper(rng, pod, container, native, None)
    pod.add_volume({"name": "content", "emptyDir": {}})
    pod.app_mounts.append({"name": "content", "mountPath": "/srv/content", "readOnly": True})


def configmap_reload(rng: random.Random, app: App, pod: Pod, native: bool) -> None:
    container = {
        "name": "config-reload",
        "image": f"ghcr.io/jimmidyson/configmap-reload:{rng.choice(('v0.12.0', 'v0.13.1'))}",
        "args": ["--volume-dir=/etc/config", f"--webhook-url=http://127.0.0.1:{app.port}/-/reload"],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/config", "readOnly": True}],
    }
    set_if(container, "resources", resources(rng, "10m", "16Mi"))
    place_helper(rng, pod, container, native, None)
    pod.add_volume({"name": "config", "configMap": {"name": f"{app.name}-config"}})


# name -> (function, weight in long-running pods, weight in Jobs)
HELPERS: dict[str, tuple[Callable[[random.Random, App, Pod, bool], None], int, int]] = {
    "fluent-bit": (fluent_bit, 20, 6),
    "cloud-sql-proxy": (cloud_sql_proxy, 16, 30),
    "istio-proxy": (istio_proxy, 10, 6),
    "oauth2-proxy": (oauth2_proxy, 10, 0),
    "vault-agent": (vault_agent, 12, 12),
    "git-sync": (git_sync, 8, 4),
    "configmap-reload": (configmap_reload, 12, 0),
}


def choose_helpers(rng: random.Random, count: int, in_job: bool) -> list[str]:
    """Distinct helpers, the common ones more often; a Job's pod rarely has a reload hook."""
    pool = [(name, job if in_job else normal) for name, (_, normal, job) in HELPERS.items()]
    chosen: list[str] = []
    while len(chosen) < count:
        options = tuple((name, weight) for name, weight in pool if name not in chosen and weight > 0)
        chosen.append(weighted(rng, options))
    return chosen


# ----------------------------------------------------------------------------------------
# Regular init containers
# ----------------------------------------------------------------------------------------


def init_container(rng: random.Random, app: App, pod: Pod) -> dict:
    kind = rng.choice(("wait", "migrate", "chown"))
    if kind == "wait":
        container = {
            "name": "wait-for-db",
            "image": rng.choice(("busybox:1.36", "busybox", "busybox:latest")),
            "command": ["sh", "-c", f"until nc -z postgres.{app.namespace}.svc 5432; do echo waiting for db; sleep 2; done"],
        }
    elif kind == "migrate":
        container = {
            "name": "migrate",
            "image": f"{REGISTRIES[0]}/{app.team}/{app.name}:{version(rng)}",
            "command": ["/app/bin/migrate", "up"],
            "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{app.name}-db", "key": "url"}}}],
        }
    else:
        container = {
            "name": "fix-permissions",
            "image": "busybox:1.36",
            "command": ["sh", "-c", "chown -R 1000:1000 /data"],
            "securityContext": {"runAsUser": 0},
            "volumeMounts": [{"name": "tmp", "mountPath": "/data"}],
        }
    set_if(container, "resources", resources(rng, "10m", "32Mi"))
    return container


# ----------------------------------------------------------------------------------------
# Pod spec, workloads and the documents beside them
# ----------------------------------------------------------------------------------------


def pod_spec(rng: random.Random, app: App) -> tuple[dict, Pod]:
    """The pod spec, and the Pod record (for its annotations and extra ConfigMaps)."""
    pod = Pod()
    total = weighted(rng, CONTAINER_COUNTS)
    in_job = app.kind in ("Job", "CronJob")
    apps = 2 if total >= 3 and chance(rng, 0.1) else 1
    inits = 1 if total - apps >= 1 and chance(rng, 0.2) else 0
    for name in choose_helpers(rng, total - apps - inits, in_job):
        function = HELPERS[name][0]
        function(rng, app, pod, native=chance(rng, 0.35))
    init_list = [init_container(rng, app, pod) for _ in range(inits)]
    # A regular init container goes before the native sidecars, or after them (migrations need the proxy).
    pod.init_containers = (pod.init_containers + init_list) if chance(rng, 0.6) else (init_list + pod.init_containers)
    app_containers = [app_container(rng, app, pod)] + [app_container(rng, app, pod, "-worker") for _ in range(apps - 1)]
    spec: dict[str, Any] = {}
    if chance(rng, 0.7):
        spec["serviceAccountName"] = app.name
    if pod.init_containers:
        spec["initContainers"] = pod.init_containers
    # Classic helpers are usually listed after the app, sometimes (injected) before it.
    spec["containers"] = app_containers + pod.containers if chance(rng, 0.8) else pod.containers + app_containers
    if in_job:
        spec["restartPolicy"] = weighted(rng, (("OnFailure", 55), ("Never", 40), ("missing", 5)))
        if spec["restartPolicy"] == "missing":
            del spec["restartPolicy"]
    spec.update(pod_extras(rng, app))
    volumes = list(pod.volumes)
    if chance(rng, 0.25):
        volumes.append({"name": "tls", "secret": {"secretName": f"{app.name}-tls", "defaultMode": 0o440}})
        app_containers[0]["volumeMounts"].append({"name": "tls", "mountPath": "/etc/tls", "readOnly": True})
    if app.kind == "Deployment" and chance(rng, 0.15):
        volumes.append({"name": "cache", "persistentVolumeClaim": {"claimName": f"{app.name}-cache"}})
        app_containers[0]["volumeMounts"].append({"name": "cache", "mountPath": "/var/cache/app"})
    if app.kind == "StatefulSet":
        app_containers[0]["volumeMounts"].append({"name": "data", "mountPath": f"/var/lib/{app.name}"})
    spec["volumes"] = volumes
    return spec, pod


def pod_extras(rng: random.Random, app: App) -> dict:
    """Scheduling and security settings: not what the rules read, but what files carry."""
    extras: dict[str, Any] = {}
    if chance(rng, 0.5):
        extras["securityContext"] = {"fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
    if chance(rng, 0.4):
        extras["terminationGracePeriodSeconds"] = rng.choice((30, 60, 120))
    if chance(rng, 0.2):
        extras["nodeSelector"] = {"kubernetes.io/os": "linux", "node.example.com/pool": rng.choice(("general", "highmem"))}
    if chance(rng, 0.15):
        extras["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": app.team, "effect": "NoSchedule"}]
    if app.kind in ("Deployment", "StatefulSet") and chance(rng, 0.2):
        extras["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app.name}},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        }
    if chance(rng, 0.3):
        extras["imagePullSecrets"] = [{"name": "registry-credentials"}]
    return extras


def metadata(app: App, name: str | None = None, annotations: dict | None = None) -> dict:
    result: dict[str, Any] = {"name": name or app.name, "namespace": app.namespace, "labels": dict(app.labels)}
    if annotations:
        result["annotations"] = annotations
    return result


def pod_template_metadata(rng: random.Random, app: App, pod: Pod) -> dict:
    annotations = dict(pod.annotations)
    if chance(rng, 0.5):
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"] = "9102"
    if chance(rng, 0.4):
        annotations["checksum/config"] = hex_string(rng, 64)
    if chance(rng, 0.12):
        annotations["sidecar.istio.io/inject"] = rng.choice(("true", "false"))
    if chance(rng, 0.04):  # Vault's injector: a Go template inside a string, which is data
        annotations["vault.hashicorp.com/agent-inject"] = "true"
        annotations["vault.hashicorp.com/agent-inject-template-db"] = (
            '{{- with secret "database/creds/app" -}}\n'
            "postgres://{{ .Data.username }}:{{ .Data.password }}@postgres:5432/app\n"
            "{{- end }}\n"
        )
    selector_labels = {key: app.labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    result: dict[str, Any] = {"labels": selector_labels}
    if annotations:
        result["annotations"] = annotations
    return result


def workload(rng: random.Random, app: App) -> tuple[dict, Pod]:
    """The workload document of the file's kind, with its pod template."""
    spec, pod = pod_spec(rng, app)
    template = {"metadata": pod_template_metadata(rng, app, pod), "spec": spec}
    selector = {"matchLabels": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name}}
    document: dict[str, Any] = {"apiVersion": "apps/v1", "kind": app.kind, "metadata": metadata(app)}
    if app.kind == "Pod":
        document = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(app) | template["metadata"], "spec": spec}
    elif app.kind == "Deployment":
        document["spec"] = {
            "replicas": rng.choice((1, 2, 3, 5)),
            "revisionHistoryLimit": 5,
            "selector": selector,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": template,
        }
    elif app.kind == "StatefulSet":
        document["spec"] = {
            "serviceName": f"{app.name}-headless",
            "replicas": rng.choice((1, 3)),
            "selector": selector,
            "template": template,
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": rng.choice(("standard", "premium-rwo", "gp3")),
                        "resources": {"requests": {"storage": rng.choice(("10Gi", "50Gi", "200Gi"))}},
                    },
                }
            ],
        }
    elif app.kind == "DaemonSet":
        document["spec"] = {"selector": selector, "updateStrategy": {"type": "RollingUpdate"}, "template": template}
    elif app.kind == "Job":
        document = {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(app), "spec": job_spec(rng, template)}
    else:
        document = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": metadata(app),
            "spec": {
                "schedule": f"{rng.randint(0, 59)} {rng.choice(('*', '*/6', '2', '3'))} * * *",
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {"spec": job_spec(rng, template)},
            },
        }
    return document, pod


def job_spec(rng: random.Random, template: dict) -> dict:
    spec: dict[str, Any] = {"backoffLimit": rng.choice((0, 2, 4, 6)), "template": template}
    if chance(rng, 0.5):
        spec["ttlSecondsAfterFinished"] = 86400
    if chance(rng, 0.3):
        spec["activeDeadlineSeconds"] = 3600
    return spec


def service(rng: random.Random, app: App, pod_spec_containers: list[dict]) -> dict:
    target = "http-oauth" if any(c["name"] == "oauth2-proxy" for c in pod_spec_containers) else "http"
    ports = [{"name": "http", "port": 80, "targetPort": target, "protocol": "TCP"}]
    if chance(rng, 0.4):
        ports.append({"name": "metrics", "port": 9102, "targetPort": 9102, "protocol": "TCP"})
    spec: dict[str, Any] = {
        "type": "ClusterIP",
        "selector": {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name},
        "ports": ports,
    }
    name = app.name
    if app.kind == "StatefulSet":
        spec["clusterIP"] = "None"
        name = f"{app.name}-headless"
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(app, name), "spec": spec}


def config_map(app: App, name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(app, name), "data": data}


def app_config_map(rng: random.Random, app: App) -> dict:
    """The app's own settings: a config file and a few flags, a few hundred bytes to 2 KB."""
    lines = [
        "server:",
        f"  port: {app.port}",
        "  shutdownTimeout: 25s",
        "logging:",
        "  format: json",
        f"  level: {rng.choice(('info', 'debug'))}",
        "upstreams:",
    ]
    for _ in range(rng.randint(1, 6)):
        target = f"{rng.choice(NOUNS)}-{rng.choice(ROLES)}"
        lines += [f"  - name: {target}", f"    url: http://{target}.{rng.choice(TEAMS)}.svc:80", "    timeout: 2s"]
    data = {
        "config.yaml": "\n".join(lines) + "\n",
        "flags": ",".join(rng.sample(("new-checkout", "fast-search", "beta-ui", "v2-api", "dark-mode"), 2)),
        "LOG_FORMAT": "json",
    }
    return config_map(app, f"{app.name}-config", data)


def make_app(rng: random.Random, index: int) -> App:
    team = TEAMS[index % len(TEAMS)]
    name = f"{rng.choice(NOUNS)}-{rng.choice(ROLES)}"
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": rng.choice(("Helm", "kustomize", "argocd")),
    }
    if chance(rng, 0.4):
        labels["app.kubernetes.io/part-of"] = team
    if chance(rng, 0.5):
        labels["app.kubernetes.io/version"] = version(rng)
    kind = weighted(rng, WORKLOAD_KINDS)
    return App(name, team, f"{team}-{rng.choice(('prod', 'staging'))}", kind, rng.choice((8080, 8000, 3000, 9000)), labels)


def documents(seed: int, index: int) -> tuple[App, list[dict]]:
    """The documents of file `index`: its workload, and often its Service and ConfigMaps."""
    rng = random.Random(f"sidecarlint-bench:{seed}:{index}")
    app = make_app(rng, index)
    document, pod = workload(rng, app)
    docs = [document]
    spec = pod_spec_of(document)
    if app.kind in ("Deployment", "StatefulSet") or (app.kind == "Pod" and chance(rng, 0.3)):
        if chance(rng, 0.6):
            docs.append(service(rng, app, spec["containers"]))
    if chance(rng, 0.16):
        docs.insert(0, app_config_map(rng, app))  # the config first, as kustomize orders it
    if chance(rng, 0.4) and len(docs) < 3:  # a helper's own ConfigMap; three documents at most a file
        docs.extend(pod.config_maps[:1])
    return app, docs


def pod_spec_of(document: dict) -> dict:
    if document["kind"] == "Pod":
        return document["spec"]
    if document["kind"] == "CronJob":
        return document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return document["spec"]["template"]["spec"]


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line strings as literal blocks (`|`), as people write scripts and config files."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def render(app: App, docs: list[dict], rng_seed: str) -> str:
    """The file's text: documents joined by `---`, some with a Helm-style `# Source:` comment."""
    rng = random.Random(rng_seed)
    helm = app.labels["app.kubernetes.io/managed-by"] == "Helm"
    parts = []
    for document in docs:
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
        if helm:
            text = f"# Source: {app.name}/templates/{document['kind'].lower()}.yaml\n{text}"
        parts.append(text)
    leading = "---\n" if helm or chance(rng, 0.2) else ""
    return leading + "---\n".join(parts)


def file_name(app: App, index: int) -> str:
    return os.path.join(app.team, f"{index:05d}-{app.name}-{app.kind.lower()}.yaml")


def generate(out_dir: str, files: int, seed: int, progress: bool = False) -> dict[str, int]:
    """Write `files` manifest files under `out_dir`; returns counts (files, documents, bytes)."""
    totals = {"files": 0, "documents": 0, "bytes": 0}
    for team in TEAMS:
        os.makedirs(os.path.join(out_dir, team), exist_ok=True)
    started = time.monotonic()
    for index in range(files):
        app, docs = documents(seed, index)
        data = render(app, docs, f"sidecarlint-bench-render:{seed}:{index}").encode("utf-8")
        with open(os.path.join(out_dir, file_name(app, index)), "wb") as handle:
            handle.write(data)
        totals["files"] += 1
        totals["documents"] += len(docs)
        totals["bytes"] += len(data)
        if progress and (index + 1) % 1000 == 0:
            print(f"  {index + 1} files, {time.monotonic() - started:.1f} s", file=sys.stderr)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the files (created if missing)")
    parser.add_argument("--files", type=int, default=10_000, help="how many files (default: 10000)")
    parser.add_argument("--seed", type=int, default=1, help="the corpus seed (default: 1)")
    args = parser.parse_args(argv)
    totals = generate(args.out_dir, args.files, args.seed, progress=True)
    print(
        f"{totals['files']} files, {totals['documents']} documents, "
        f"{totals['bytes'] / 1e6:.1f} MB ({totals['bytes'] / max(totals['files'], 1) / 1e3:.2f} KB a file) "
        f"in {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
