"""The built-in catalogue of known sidecars (sidecarlint/data/sidecars.yaml).

One table says, for an image and a container name, which kind of sidecar the catalogue must take
it for, or None for an application container it must leave alone. The other tests keep the data
file itself in shape and try the catalogue on the real public manifests in shared/corpus/real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sidecarlint
from sidecarlint import catalogue
from sidecarlint.catalogue import load_builtin_catalogue

CATALOGUE_FILE = Path(sidecarlint.__file__).parent / "data" / "sidecars.yaml"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"

KINDS = set(catalogue.KINDS)

DIGEST = "sha256:" + "0123456789abcdef" * 4

# (image, container name, kind the catalogue must give, or None)
CASES = [
    # --- mesh proxies --------------------------------------------------------------------------
    ("docker.io/istio/proxyv2:1.20.0", "istio-proxy", "mesh-proxy"),
    ("gcr.io/istio-release/proxyv2:1.22.1-distroless", "istio-proxy", "mesh-proxy"),
    (f"istio/proxyv2@{DIGEST}", "sidecar", "mesh-proxy"),
    ("gcr.io/gke-release/asm/proxyv2:1.16.7-asm.10", "istio-proxy", "mesh-proxy"),
    ("registry.redhat.io/openshift-service-mesh/proxyv2-rhel9:2.6", "istio-proxy", "mesh-proxy"),
    ("quay.io/maistra/proxyv2-ubi8:2.5.0", "istio-proxy", "mesh-proxy"),
    ("Docker.io/Istio/ProxyV2:1.20.0", "proxy", "mesh-proxy"),  # case does not matter
    ("registry.example.com/mirror/mesh-sidecar:1.20", "istio-proxy", "mesh-proxy"),  # by name
    (None, "istio-proxy", "mesh-proxy"),  # no image at all: by name
    ("cr.l5d.io/linkerd/proxy:stable-2.14.10", "linkerd-proxy", "mesh-proxy"),
    ("ghcr.io/linkerd/proxy:edge-24.2.1", "linkerd-proxy", "mesh-proxy"),
    ("gcr.io/linkerd-io/proxy:stable-2.6.0", "linkerd-proxy", "mesh-proxy"),
    ("registry.example.com/l5d/proxy-fork:1", "linkerd-proxy", "mesh-proxy"),  # by name
    ("cr.l5d.io/linkerd/proxy-init:v2.2.3", "linkerd-init", None),  # the iptables init container
    ("hashicorp/consul-dataplane:1.2.0", "consul-dataplane", "mesh-proxy"),
    ("registry.connect.redhat.com/hashicorp/consul-dataplane:1.3.0-ubi", "dp", "mesh-proxy"),
    ("docker.io/hashicorp/consul-dataplane-fips:1.4.1", "consul-dataplane-web", "mesh-proxy"),
    ("hashicorp/consul:1.16.0", "consul", None),  # the server
    ("kumahq/kuma-dp:2.9.3", "kuma-sidecar", "mesh-proxy"),
    ("docker.io/kong/kuma-dp:2.5.0", "kuma-sidecar", "mesh-proxy"),
    ("kumahq/kuma-init:2.9.3", "kuma-init", None),
    ("840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-envoy:v1.27.2.0-prod", "envoy", "mesh-proxy"),
    ("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.5.0-prod", "envoy", "mesh-proxy"),
    # --- other proxies -------------------------------------------------------------------------
    ("envoyproxy/envoy:v1.28-latest", "envoy-sidecar", "other-proxy"),
    ("envoyproxy/envoy-distroless:v1.32.3", "proxy", "other-proxy"),
    ("envoyproxy/envoy-alpine:v1.20.1", "front", "other-proxy"),
    ("mcr.microsoft.com/oss/envoyproxy/envoy-distroless:v1.27.0", "envoy", "other-proxy"),
    ("docker.io/bitnami/envoy:1.34.5-debian-12-r0", "envoy", "other-proxy"),
    ("envoyproxy/gateway:v1.0.0", "envoy-gateway", None),  # a controller
    ("envoyproxy/ratelimit:master", "ratelimit", None),  # a service
    ("daprio/daprd:1.14.0", "daprd", "other-proxy"),
    ("ghcr.io/dapr/daprd:1.18.1", "daprd", "other-proxy"),
    (f"ghcr.io/dapr/daprd@{DIGEST}", "runtime", "other-proxy"),
    ("ghcr.io/dapr/operator:1.18.1", "dapr-operator", None),
    # --- database proxies ----------------------------------------------------------------------
    ("gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0", "cloud-sql-proxy", "db-proxy"),
    ("eu.gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0-alpine", "sql", "db-proxy"),
    ("gcr.io/cloudsql-docker/gce-proxy:1.33.2", "cloudsql-proxy", "db-proxy"),
    ("b.gcr.io/cloudsql-docker/gce-proxy:1.05", "db", "db-proxy"),
    ("registry.example.com/mirrors/sql-proxy:2", "cloud-sql-proxy", "db-proxy"),  # by name
    ("gcr.io/alloydb-connectors/alloydb-auth-proxy:1.10.1", "alloydb-proxy", "db-proxy"),
    ("registry.example.com/alloy/proxy:1", "alloydb-auth-proxy", "db-proxy"),  # by name
    ("bitnami/pgbouncer:1.23.1", "pgbouncer", "db-proxy"),
    ("edoburu/pgbouncer:v1.24.1-p1", "pooler", "db-proxy"),
    ("registry.developers.crunchydata.com/crunchydata/crunchy-pgbouncer:ubi8-1.21-3", "pgbouncer", "db-proxy"),
    ("proxysql/proxysql:2.6", "proxysql", "db-proxy"),
    # --- auth proxies --------------------------------------------------------------------------
    ("quay.io/oauth2-proxy/oauth2-proxy:v7.7.1", "oauth2-proxy", "auth-proxy"),
    ("docker.io/bitnami/oauth2-proxy:7.6.0", "auth", "auth-proxy"),
    ("quay.io/pusher/oauth2_proxy:v4.1.0", "auth-proxy", "auth-proxy"),
    ("registry.redhat.io/rhceph/oauth2-proxy-rhel9:v7.6.0", "auth", "auth-proxy"),
    ("quay.io/openshift/origin-oauth-proxy:4.14", "oauth-proxy", "auth-proxy"),
    (f"registry.redhat.io/openshift4/ose-oauth-proxy@{DIGEST}", "oauth-proxy", "auth-proxy"),
    ("gcr.io/kubebuilder/kube-rbac-proxy:v0.16.0", "kube-rbac-proxy", "auth-proxy"),
    ("quay.io/brancz/kube-rbac-proxy:v0.19.1", "rbac", "auth-proxy"),
    (f"registry.redhat.io/openshift4/ose-kube-rbac-proxy-rhel9@{DIGEST}", "kube-rbac-proxy", "auth-proxy"),
    ("registry.example.com/vendor/rbac-proxy:0.1", "kube-rbac-proxy", "auth-proxy"),  # by name
    # --- secrets agents ------------------------------------------------------------------------
    ("hashicorp/vault:1.16.2", "vault-agent", "secrets-agent"),
    ("docker.io/hashicorp/vault:1.15.2", "vault-agent-init", "secrets-agent"),
    ("vault:1.3.0", "vault-agent", "secrets-agent"),  # the old library image, by name
    ("hashicorp/vault-enterprise:1.15.2-ent", "vault", "secrets-agent"),
    ("hashicorp/vault-k8s:1.4.0", "sidecar-injector", None),  # the injector webhook
    ("registry.example.com/team/vault:1", "vault", None),
    ("cyberark/secrets-provider-for-k8s:1.6.0", "cyberark-secrets-provider", "secrets-agent"),
    ("cyberark/conjur-authn-k8s-client:0.26.0", "authenticator", "secrets-agent"),
    # --- log shippers --------------------------------------------------------------------------
    ("fluent/fluent-bit:2.1", "fluent-bit", "log-shipper"),
    ("cr.fluentbit.io/fluent/fluent-bit:3.0", "logs", "log-shipper"),
    (f"mirror.example.com/dockerhub/fluent/fluent-bit@{DIGEST}", "logs", "log-shipper"),
    ("docker.io/bitnami/fluent-bit:3.1.9", "logs", "log-shipper"),
    ("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "log-router", "log-shipper"),
    ("registry.k8s.io/fluentd-gcp:1.30", "count-agent", "log-shipper"),
    ("k8s.gcr.io/fluentd-gcp:1.16", "fluentd-cloud-logging", "log-shipper"),
    ("gcr.io/google-containers/fluentd-elasticsearch:v2.4.0", "fluentd", "log-shipper"),
    ("fluentd:v1.16", "logs", "log-shipper"),
    ("fluent/fluentd:v1.16-1", "logs", "log-shipper"),
    ("quay.io/fluentd_elasticsearch/fluentd:v4", "fluentd-elasticsearch", "log-shipper"),
    ("fluent/fluentd-kubernetes-daemonset:v1-debian-elasticsearch", "fluentd", "log-shipper"),
    ("gcr.io/stackdriver-agents/stackdriver-logging-agent:1.9.8", "logging-agent", "log-shipper"),
    ("k8s.gcr.io/fluentd-gcp-scaler:0.5.2", "fluentd-gcp-scaler", None),  # a controller
    ("docker.elastic.co/beats/filebeat:8.15.0", "filebeat", "log-shipper"),
    ("docker.elastic.co/beats/filebeat-oss:7.10.2", "filebeat", "log-shipper"),
    ("grafana/promtail:3.1.0", "promtail", "log-shipper"),
    ("timberio/vector:0.30.0-distroless-libc", "vector", "log-shipper"),
    ("docker.io/vectordotdev/vector:0.39.0-distroless-libc", "vector", "log-shipper"),
    ("registry.example.com/team/vector-tiles:1", "tiles", None),
    # --- telemetry agents and exporters --------------------------------------------------------
    ("otel/opentelemetry-collector:0.91.0", "otc-container", "metrics"),
    ("otel/opentelemetry-collector-contrib:0.91.0", "otel", "metrics"),
    ("otel/opentelemetry-collector-k8s:0.91.0", "otel", "metrics"),
    (
        "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.113.0",
        "collector",
        "metrics",
    ),
    ("public.ecr.aws/aws-observability/aws-otel-collector:v0.43.0", "adot-collector", "metrics"),
    ("registry.example.com/otel/custom-collector:1", "otc-container", "metrics"),  # by name
    ("ghcr.io/open-telemetry/opentelemetry-operator/opentelemetry-operator:0.100.0", "manager", None),
    ("jaegertracing/jaeger-agent:1.48.0", "jaeger-agent", "metrics"),
    ("gcr.io/datadoghq/agent:7.51.0", "datadog-agent-injected", "metrics"),
    ("datadog/agent:7", "datadog-agent", "metrics"),
    ("public.ecr.aws/datadog/agent:latest", "datadog-agent", "metrics"),
    ("gcr.io/datadoghq/cluster-agent:7.51.0", "cluster-agent", None),
    ("nginx/nginx-prometheus-exporter:1.1.0", "nginx-exporter", "metrics"),
    ("prom/statsd-exporter:v0.26.0", "metrics-adapter", "metrics"),
    ("quay.io/prometheus/mysqld-exporter:v0.15.1", "metrics", "metrics"),
    ("quay.io/prometheuscommunity/postgres-exporter:v0.15.0", "metrics", "metrics"),
    ("docker.io/bitnami/redis-exporter:1.62.0-debian-12-r2", "metrics", "metrics"),
    ("oliver006/redis_exporter:v1.62.0", "metrics", "metrics"),
    ("wrouesnel/postgres_exporter:v0.8.0", "metrics", "metrics"),
    ("prom/prometheus:v2.54.1", "prometheus", None),  # the server, not an exporter
    # --- config sync ---------------------------------------------------------------------------
    ("registry.k8s.io/git-sync/git-sync:v4.2.1", "git-sync", "config-sync"),
    ("k8s.gcr.io/git-sync/git-sync:v3.6.3", "sync", "config-sync"),
    ("k8s.gcr.io/git-sync:v3.1.6", "syncer", "config-sync"),
    ("registry.example.com/tools/repo-sync:2", "git-sync", "config-sync"),  # by name
    ("quay.io/prometheus-operator/prometheus-config-reloader:v0.71.2", "config-reloader", "config-sync"),
    ("quay.io/coreos/prometheus-config-reloader:v0.38.1", "rules-reloader", "config-sync"),
    (f"quay.io/openshift-release-dev/ocp-v4.0-art-dev@{DIGEST}", "config-reloader", "config-sync"),
    ("jimmidyson/configmap-reload:v0.5.0", "configmap-reload", "config-sync"),
    ("ghcr.io/jimmidyson/configmap-reload:v0.12.0", "config-reloader", "config-sync"),
    ("quay.io/kiwigrid/k8s-sidecar:1.26.1", "grafana-sc-dashboard", "config-sync"),
    ("kiwigrid/k8s-sidecar:1.19.2", "sidecar", "config-sync"),
    # --- application images: never a sidecar ---------------------------------------------------
    ("nginx:1.25", "web", None),
    ("nginx:alpine", "nginx", None),
    ("docker.io/library/nginx:1.29", "web", None),
    ("busybox", "sidecar", None),
    ("busybox:1.28", "logshipper", None),
    ("registry.k8s.io/busybox:1.27.2", "main-app", None),
    ("redis:7.2", "redis", None),
    ("registry.k8s.io/redis:v1", "sentinel", None),
    ("postgres:16", "db", None),
    ("mongo:7", "mongo", None),
    ("python:3.12-slim", "app", None),
    ("node:20-alpine", "app", None),
    ("alpine:latest", "alpine", None),
    ("tomcat:8.0", "tomcat", None),
    ("resouer/mytomcat:7.0", "war", None),
    ("grafana/grafana:10.1.2", "grafana", None),
    ("registry.example.com/team/payments-api:1.2", "payments-api", None),
    ("registry.example.com/team/proxy-app:1.0", "proxy-app", None),
    ("proxy-app:1.0", "proxy", None),
    ("my-agent:latest", "my-agent", None),
    ("registry.example.com/team/agent:2", "agent", None),
    ("registry.example.com/team/proxy:3", "proxy", None),
    ("registry.example.com/team/report-exporter:3", "exporter", None),
    ("registry.example.com/team/git-sync-dashboard:1", "dashboard", None),
    ("luksa/kubia", "kubia", None),
    # Tutorial images that do play a helper's part but are no well-known sidecar, left out on
    # purpose: an Envoy-based TLS proxy named "envoy" (too common a name to claim), a kubectl-proxy
    # ambassador and a socat ambassador (socat is as often a one-shot tool).
    ("luksa/kiada-ssl-proxy:0.1", "envoy", None),
    ("luksa/kubectl-proxy:1.6.2", "ambassador", None),
    ("docker.io/alpine/socat:1.8.0.3", "ambassador-sidecar", None),
    ("", "", None),
    (None, None, None),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_builtin_catalogue()


@pytest.mark.parametrize(("image", "name", "kind"), CASES, ids=[f"{i}|{n}" for i, n, _ in CASES])
def test_identify(catalogue, image, name, kind):
    entry = catalogue.identify(image=image, name=name)
    if kind is None:
        assert entry is None, f"{image!r} ({name!r}) taken for {entry.name} ({entry.kind})"
    else:
        assert entry is not None, f"{image!r} ({name!r}) not recognised"
        assert entry.kind == kind


def test_identify_returns_the_entry(catalogue):
    entry = catalogue.identify(image="docker.io/istio/proxyv2:1.20.0", name="istio-proxy")
    assert entry.name == "istio-proxy"
    assert entry.kind == "mesh-proxy"
    assert catalogue.identify(image="nginx:1.25", name="web") is None


def _entries():
    return yaml.safe_load(CATALOGUE_FILE.read_text("utf-8"))


def test_every_entry_has_a_positive_case(catalogue):
    hit = {
        entry.name
        for image, name, kind in CASES
        if kind is not None and (entry := catalogue.identify(image=image, name=name)) is not None
    }
    assert {item["name"] for item in _entries()} - hit == set()


# --- the data file itself -----------------------------------------------------------------------

# Globs and container names too common to say anything about a container.
TOO_GENERIC = {
    "proxy", "agent", "sidecar", "exporter", "collector", "sync", "envoy", "vault", "vector",
    "app", "main", "web", "server", "api", "metrics", "logs", "logger", "logshipper", "auth",
    "ambassador", "adapter", "helper", "init", "config", "reloader",
}


def test_file_has_the_documented_shape():
    text = CATALOGUE_FILE.read_text("utf-8")
    assert text.startswith("# Known sidecar containers, by image and container name.")
    entries = _entries()
    assert isinstance(entries, list) and entries
    for item in entries:
        assert isinstance(item, dict), item
        assert set(item) <= {"name", "kind", "images", "names"}, item
        assert isinstance(item["name"], str) and item["name"], item
        assert item["kind"] in KINDS, item
        images, names = item.get("images") or [], item.get("names") or []
        assert isinstance(images, list) and isinstance(names, list), item
        assert images or names, f"{item['name']}: neither images nor names"


def test_entry_names_patterns_and_container_names_are_unique():
    entries = _entries()
    for field in ("name",):
        values = [item[field] for item in entries]
        assert len(values) == len(set(values)), "duplicate entry names"
    for field in ("images", "names"):
        values = [value for item in entries for value in item.get(field) or []]
        duplicates = {value for value in values if values.count(value) > 1}
        assert not duplicates, f"in more than one place under {field}: {sorted(duplicates)}"


@pytest.mark.parametrize(
    "pattern", [p for item in _entries() for p in item.get("images") or []]
)
def test_image_glob_is_specific(pattern):
    assert pattern == pattern.lower(), "globs are matched against a lowercased image"
    assert "@" not in pattern and ":" not in pattern, "no tag, digest or registry port in a glob"
    assert not pattern.startswith("/") and not pattern.endswith("/")
    assert not pattern.startswith(("*", "?", "[")), "a leading wildcard matches too much"
    if "/" not in pattern:  # one component: it matches the last component of any image
        assert pattern.strip("*?") not in TOO_GENERIC, f"{pattern!r} would catch application images"
    last = pattern.rsplit("/", 1)[-1]
    assert last.replace("*", "").replace("-", "").replace("_", ""), f"{pattern!r} is all wildcard"


@pytest.mark.parametrize("name", [n for item in _entries() for n in item.get("names") or []])
def test_container_name_is_specific(name):
    assert name not in TOO_GENERIC
    assert name == name.strip() and "*" not in name, "container names match exactly"


# --- the real manifests in shared/corpus/real ---------------------------------------------------

# (corpus file, container name) -> kind: every container the catalogue must recognise there.
CORPUS_SIDECARS = {
    # A DaemonSet, not a sidecar, but the image is Fluent Bit all the same.
    (
        "fluent__fluent-bit-kubernetes-logging__output__elasticsearch__fluent-bit-ds.yaml",
        "fluent-bit",
    ): "log-shipper",
    # The fluentd-gcp log agent beside the counter app in the Kubernetes logging docs.
    (
        "kubernetes__website__content__en__examples__admin__logging__"
        "two-files-counter-pod-agent-sidecar.yaml",
        "count-agent",
    ): "log-shipper",
}


def _containers(node):
    if isinstance(node, dict):
        if isinstance(node.get("image"), str) and "name" in node:
            yield node["name"], node["image"]
        for value in node.values():
            yield from _containers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _containers(value)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus/real is not beside the repository")
def test_real_corpus(catalogue):
    found, seen = {}, 0
    for path in sorted(CORPUS.glob("*.y*ml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text("utf-8")))
        except yaml.YAMLError:
            continue
        for name, image in _containers(documents):
            seen += 1
            entry = catalogue.identify(image=image, name=name)
            if entry is not None:
                found[(path.name, name)] = entry.kind
    assert seen > 30, "the corpus walk found too few containers"
    assert found == CORPUS_SIDECARS
