#!/usr/bin/env python3
"""Cross-file checks of deploy/ that no single linter makes (run by deploy/check.sh).

Usage: check_consistency.py [--rendered FILE ...]

  --rendered FILE   the output of `kubectl kustomize` for an entry point of deploy/kubernetes/
                    (repeatable); without it the files of deploy/kubernetes/base/ are read as
                    they are (the ConfigMap is then built here from base/ccpool.yaml).

Checks that the Dockerfile, the compose files, the Prometheus files, the Kubernetes manifests,
the example configs and the alert tests agree with each other and with ccpool's documented
behaviour (docs/configuration.md, docs/operations.md, docs/metrics.md): the UID/GID, port, data directory and shutdown deadline, the shard count
against the replica count, the restricted pod security settings, selectors, mounts, and that
every alert has a firing and a not-firing unit test and uses only metrics that docs/metrics.md
lists (a missing docs/metrics.md is a problem, not a skip). Prints one line per problem; exits 1 if
there was any.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent

problems: list[str] = []
notes: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_all(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


# ---------------------------------------------------------------------------------------------
# ccpool facts (docs/configuration.md): durations, settings, target fields.

DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
TOP_LEVEL = {
    "listen", "database", "shards", "history", "admin_token_file", "metrics", "shutdown_deadline",
    "log_level", "log_format", "shard_index", "shard_count", "peers", "peer_timeout", "pending_migrations", "targets",
}
TARGET_FIELDS = {"name", "target", "service_config", "tls", "labels", "idle", "keepalive", "backoff"}
TARGET_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
LOG_LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}
DEFAULT_SHUTDOWN_DEADLINE = 10.0


def seconds(text, where: str) -> float | None:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = DURATION.match(str(text).strip())
    if not m:
        problem(where, f"not a duration with a unit (ms, s, m, h, d): {text!r}")
        return None
    return int(m.group(1)) * UNIT_SECONDS[m.group(2)]


def compose_seconds(text: str, where: str) -> float | None:
    """Compose durations: 1m30s, 30s, 500ms."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", str(text))
    if not parts or "".join(a + b for a, b in parts) != str(text):
        problem(where, f"not a compose duration: {text!r}")
        return None
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
    return sum(float(a) * scale[b] for a, b in parts)


def check_ccpool_config(config, where: str) -> dict:
    """A light check of a ccpool config file (the real one is `ccpool check-config`)."""
    if not isinstance(config, dict):
        problem(where, "a ccpool config must be a mapping")
        return {}
    for key in set(config) - TOP_LEVEL:
        problem(where, f"unknown setting {key!r}")
    for key in ("history", "metrics"):
        if key in config and not isinstance(config[key], dict):
            problem(where, f"{key} must be a mapping")
    if set(config.get("history") or {}) - {"retention"}:
        problem(where, f"unknown history settings {sorted(set(config['history']) - {'retention'})}")
    if set(config.get("metrics") or {}) - {"subchannel_series"}:
        problem(where, f"unknown metrics settings {sorted(set(config['metrics']) - {'subchannel_series'})}")
    for key in ("shutdown_deadline",):
        if key in config:
            seconds(config[key], f"{where}: {key}")
    if "retention" in (config.get("history") or {}):
        seconds(config["history"]["retention"], f"{where}: history.retention")
    if "log_level" in config and config["log_level"] not in LOG_LEVELS:
        problem(where, f"log_level {config['log_level']!r} is not one of {sorted(LOG_LEVELS)}")
    if "log_format" in config and config["log_format"] not in ("text", "json"):
        problem(where, f"log_format {config['log_format']!r} is not text or json")
    if ("shard_index" in config) != ("shard_count" in config):
        problem(where, "shard_index and shard_count go together")
    seen: set[str] = set()
    for i, target in enumerate(config.get("targets") or []):
        at = f"{where}: targets[{i}]"
        if not isinstance(target, dict):
            problem(at, "must be a mapping")
            continue
        for key in set(target) - TARGET_FIELDS:
            problem(at, f"unknown field {key!r}")
        name = target.get("name")
        if not isinstance(name, str) or not TARGET_NAME.match(name):
            problem(at, f"name {name!r} must be 1-128 characters of [A-Za-z0-9._-]")
        elif name in seen:
            problem(at, f"duplicate target name {name!r}")
        else:
            seen.add(name)
        if not isinstance(target.get("target"), str) or not target["target"]:
            problem(at, "target (a gRPC target URI) is required")
        sc = target.get("service_config")
        if isinstance(sc, str):
            try:
                sc = json.loads(sc)
            except ValueError as e:
                problem(at, f"service_config is not JSON: {e}")
                sc = None
        if sc is not None and not isinstance(sc, dict):
            problem(at, "service_config must be a mapping or a JSON object")
        if target.get("idle") not in (None, "connected", "lazy"):
            problem(at, "idle must be connected or lazy")
        labels = target.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            problem(at, "labels must map names to strings")
    return config


def shutdown_deadline(config: dict, env: dict[str, str], where: str) -> float:
    text = env.get("CCPOOL_SHUTDOWN_DEADLINE") or config.get("shutdown_deadline")
    if text is None:
        return DEFAULT_SHUTDOWN_DEADLINE
    return seconds(text, where) or DEFAULT_SHUTDOWN_DEADLINE


# ---------------------------------------------------------------------------------------------
# Dockerfile

def dockerfile_instructions(path: Path) -> list[list[tuple[str, str]]]:
    """Instructions per stage: [(KEYWORD, arguments)], line continuations joined."""
    stages: list[list[tuple[str, str]]] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if logical and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args.strip()))
        logical = ""
    return stages


def check_dockerfile() -> dict:
    path = DEPLOY / "Dockerfile"
    where = rel(path)
    stages = dockerfile_instructions(path)
    if len(stages) < 2:
        problem(where, "must be multi-stage (build + runtime)")
        return {}
    build, runtime = stages[0], stages[-1]
    # The release build embeds the revision and date given as build arguments (.build-identity,
    # read by the BuildIdentity plugin) and the VERSION file.
    build_args = {a.split("=", 1)[0] for k, a in build if k == "ARG"}
    if not {"REVISION", "CREATED"} <= build_args:
        problem(where, f"the build stage needs ARG REVISION and ARG CREATED, has {sorted(build_args)}")
    runs = [a for k, a in build if k == "RUN"]
    stamp = next((i for i, a in enumerate(runs) if ".build-identity" in a and "${REVISION}" in a and "${CREATED}" in a), None)
    swift_build = next((i for i, a in enumerate(runs) if "swift build -c release" in a), None)
    if stamp is None or swift_build is None or stamp > swift_build:
        problem(where, "the build stage must write .build-identity from ${REVISION} and ${CREATED} before `swift build`")
    if not any(k == "COPY" and a.split()[0] == "VERSION" for k, a in build):
        problem(where, "the build stage must COPY VERSION (the version the binary reports)")
    facts: dict = {}
    if not re.search(r"swift:6[.\d]*-bookworm", path.read_text()):
        problem(where, "the build stage must use an official swift:6.x-bookworm image")

    def last(stage, keyword):
        values = [a for k, a in stage if k == keyword]
        return values[-1] if values else None

    user = last(runtime, "USER")
    if not user or not re.fullmatch(r"\d+(:\d+)?", user):
        problem(where, f"runtime USER must be a numeric uid[:gid] (runAsNonRoot checks it), got {user!r}")
    else:
        uid, _, gid = user.partition(":")
        facts["uid"], facts["gid"] = int(uid), int(gid or uid)
        if facts["uid"] == 0:
            problem(where, "runtime USER is root")
    if last(runtime, "STOPSIGNAL") != "SIGTERM":
        problem(where, "STOPSIGNAL SIGTERM is missing")
    entrypoint = last(runtime, "ENTRYPOINT") or ""
    if not entrypoint.startswith("["):
        problem(where, "ENTRYPOINT must be in exec form")
    else:
        facts["entrypoint"] = json.loads(entrypoint)
    expose = last(runtime, "EXPOSE")
    facts["port"] = int(expose.split("/")[0]) if expose else None
    if facts["port"] is None:
        problem(where, "EXPOSE is missing")
    volume = last(runtime, "VOLUME")
    facts["volumes"] = json.loads(volume) if volume and volume.startswith("[") else (volume or "").split()
    env: dict[str, str] = {}
    for k, a in runtime:
        if k == "ENV":
            for token in shlex.split(a):
                name, _, value = token.partition("=")
                env[name] = value
    facts["env"] = env
    listen = env.get("CCPOOL_LISTEN", "127.0.0.1:9090")
    if not listen.startswith("0.0.0.0:"):
        problem(where, f"CCPOOL_LISTEN must bind every interface in a container, got {listen!r}")
    elif int(listen.rsplit(":", 1)[1]) != facts["port"]:
        problem(where, f"CCPOOL_LISTEN {listen} does not match EXPOSE {facts['port']}")
    database = env.get("CCPOOL_DATABASE", "")
    if os.path.dirname(database) not in facts["volumes"]:
        problem(where, f"CCPOOL_DATABASE {database!r} is not in a VOLUME {facts['volumes']}")
    facts["data_dir"] = os.path.dirname(database)
    if env.get("CCPOOL_PENDING_MIGRATIONS") != "refuse":
        problem(where, "the image must default to CCPOOL_PENDING_MIGRATIONS=refuse (migrations run by `ccpool migrate`)")
    health = last(runtime, "HEALTHCHECK")
    if health and f"/{facts['port']} " not in health and f"/{facts['port']}&" not in health:
        if f"127.0.0.1/{facts['port']}" not in health:
            problem(where, f"HEALTHCHECK does not ask port {facts['port']}")
    # The image's version label defaults to the VERSION file, the one place the version is written.
    version = (ROOT / "VERSION").read_text().strip()
    version_args = [a.split("=", 1)[1] for k, a in runtime if k == "ARG" and a.startswith("VERSION=")]
    if version_args != [version]:
        problem(where, f"the runtime stage's ARG VERSION default must be VERSION's {version!r}, got {version_args}")
    labels = " ".join(a for k, a in runtime if k == "LABEL")
    for key in ("org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.revision"):
        if key not in labels:
            problem(where, f"OCI label {key} is missing")

    # What the build stage copies from the context must pass the ignore file.
    ignore = DEPLOY / "Dockerfile.dockerignore"
    allowed = [line[1:].rstrip("/") for line in ignore.read_text().splitlines() if line.startswith("!")]
    for k, a in build:
        if k != "COPY" or "--from" in a:
            continue
        sources = a.split()[:-1]
        for source in sources:
            top = source.strip("./").split("/")[0]
            if top not in allowed:
                problem(rel(ignore), f"the Dockerfile copies {source!r}, which this allow-list excludes")
            elif not (ROOT / top).exists():
                problem(where, f"copies {source!r}, which is not in the repository")
    return facts


# ---------------------------------------------------------------------------------------------
# Compose and Prometheus

def check_compose(docker: dict) -> None:
    path = DEPLOY / "compose.yaml"
    where = rel(path)
    compose = load_yaml(path)
    services = compose.get("services", {})
    for name in ("ccpool", "prometheus"):
        if name not in services:
            problem(where, f"service {name!r} is missing")
    backends = [n for n in services if n.startswith("backend")]
    if len(backends) < 2:
        problem(where, "two example gRPC backends are expected")

    def local(p: str) -> Path:
        return (DEPLOY / p).resolve()

    for name, service in services.items():
        build = service.get("build")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            if not local(context).is_dir():
                problem(where, f"{name}: build context {context} does not exist")
            elif not (local(context) / dockerfile).is_file():
                problem(where, f"{name}: Dockerfile {dockerfile} is not in {context}")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")) and not local(source).exists():
                problem(where, f"{name}: bind mount source {source} does not exist")
    for name, secret in (compose.get("secrets") or {}).items():
        file = secret.get("file")
        if file and (not local(file).is_file() or not local(file).read_text().strip()):
            problem(where, f"secret {name}: {file} is missing or empty")

    ccpool = services.get("ccpool", {})
    env = ccpool.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    config_path = env.get("CCPOOL_CONFIG")
    mounts = {}
    for volume in ccpool.get("volumes", []):
        parts = volume.split(":")
        if len(parts) >= 2:
            mounts[parts[1]] = parts[0]
    if not config_path or config_path not in mounts:
        problem(where, f"ccpool: CCPOOL_CONFIG {config_path!r} is not a mounted file")
        return
    config_file = local(mounts[config_path])
    config = check_ccpool_config(load_yaml(config_file), rel(config_file))
    if docker.get("data_dir") and docker["data_dir"] not in mounts:
        problem(where, f"ccpool: the data directory {docker['data_dir']} is not on a volume")
    token_file = config.get("admin_token_file") or env.get("CCPOOL_ADMIN_TOKEN_FILE")
    secret_targets = []
    for s in ccpool.get("secrets", []):
        target = s if isinstance(s, str) else s.get("target") or s.get("source")
        secret_targets.append(target if target.startswith("/") else f"/run/secrets/{target}")
    if token_file and token_file not in secret_targets:
        problem(rel(config_file), f"admin_token_file {token_file} is not where compose mounts a secret {secret_targets}")
    grace = compose_seconds(ccpool.get("stop_grace_period", "10s"), where)
    deadline = shutdown_deadline(config, env, rel(config_file))
    if grace is not None and grace <= deadline:
        problem(where, f"ccpool: stop_grace_period {grace:g}s must exceed the shutdown deadline {deadline:g}s")
    if not ccpool.get("read_only"):
        notes.append("compose: ccpool does not run with a read-only root filesystem")
    published = [str(p) for p in ccpool.get("ports", [])]
    if docker.get("port") and not any(p.endswith(f":{docker['port']}") for p in published):
        problem(where, f"ccpool: container port {docker['port']} is not published")

    # Prometheus: scrapes ccpool by its compose name and finds its rule files where compose mounts them.
    prom_service = services.get("prometheus", {})
    prom_mounts = {}
    for volume in prom_service.get("volumes", []):
        parts = volume.split(":")
        if len(parts) >= 2:
            prom_mounts[parts[1]] = parts[0]
    prom_path = DEPLOY / "prometheus.yml"
    prom = load_yaml(prom_path)
    config_flag = next((a.split("=", 1)[1] for a in prom_service.get("command", []) if a.startswith("--config.file=")),
                       "/etc/prometheus/prometheus.yml")
    if prom_mounts.get(config_flag, "").lstrip("./") != "prometheus.yml":
        problem(where, f"prometheus: {config_flag} is not deploy/prometheus.yml")
    for rule_file in prom.get("rule_files", []):
        inside = os.path.normpath(os.path.join(os.path.dirname(config_flag), rule_file))
        if inside not in prom_mounts:
            problem(where, f"prometheus: rule file {rule_file} ({inside}) is not mounted")
        elif not local(prom_mounts[inside]).is_file():
            problem(where, f"prometheus: {prom_mounts[inside]} does not exist")
    wanted = f"ccpool:{docker.get('port')}"
    targets = [t for job in prom.get("scrape_configs", []) for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
    if wanted not in targets:
        problem(rel(prom_path), f"no scrape target {wanted} (the compose service)")


# ---------------------------------------------------------------------------------------------
# Kubernetes

def kubernetes_objects(rendered: Path | None) -> tuple[str, list[dict]]:
    if rendered is not None:
        return rel(rendered) if rendered.is_relative_to(ROOT) else str(rendered), load_all(rendered)
    base = DEPLOY / "kubernetes" / "base"
    kustomization = load_yaml(base / "kustomization.yaml")
    objects = []
    for resource in kustomization.get("resources", []):
        if not (base / resource).is_file():
            problem(rel(base / "kustomization.yaml"), f"resource {resource} does not exist")
            continue
        objects += load_all(base / resource)
    for generator in kustomization.get("configMapGenerator", []):
        data = {}
        for spec in generator.get("files", []):
            key, _, file = spec.partition("=")
            file = file or key
            if not (base / file).is_file():
                problem(rel(base / "kustomization.yaml"), f"configMapGenerator file {file} does not exist")
                continue
            data[os.path.basename(key)] = (base / file).read_text()
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return "deploy/kubernetes/base", objects


def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kubernetes(docker: dict, rendered: Path | None) -> None:
    where, objects = kubernetes_objects(rendered)
    by_kind: dict[str, list[dict]] = {}
    for o in objects:
        by_kind.setdefault(o.get("kind"), []).append(o)
    statefulsets = by_kind.get("StatefulSet", [])
    if len(statefulsets) != 1:
        problem(where, f"expected one StatefulSet, found {len(statefulsets)}")
        return
    sts = statefulsets[0]
    at = f"{where}: StatefulSet/{sts['metadata']['name']}"
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"].get("labels", {})
    if not matches(spec["selector"].get("matchLabels", {}), pod_labels):
        problem(at, "selector does not match the pod template's labels")
    containers = [c for c in pod["containers"] if c["name"] == "ccpool"]
    if not containers:
        problem(at, "no container named ccpool")
        return
    c = containers[0]
    env = {e["name"]: e for e in c.get("env", [])}

    def env_value(name: str) -> str | None:
        return env[name].get("value") if name in env else None

    # Sharding: index from the pod's ordinal, count = replicas.
    replicas = spec.get("replicas", 1)
    if env_value("CCPOOL_SHARD_COUNT") != str(replicas):
        problem(at, f"CCPOOL_SHARD_COUNT {env_value('CCPOOL_SHARD_COUNT')!r} must equal replicas ({replicas})")
    index_ref = env.get("CCPOOL_SHARD_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if index_ref != "metadata.labels['apps.kubernetes.io/pod-index']":
        problem(at, "CCPOOL_SHARD_INDEX must come from the pod-index label (the pod's ordinal)")
    if spec.get("serviceName") not in [s["metadata"]["name"] for s in by_kind.get("Service", [])]:
        problem(at, f"serviceName {spec.get('serviceName')!r} is not a Service here")
    # Peers: one URL per replica, through the headless Service's stable pod names and the HTTP port.
    peers = env_value("CCPOOL_PEERS")
    if peers is not None:
        ports = [p.get("containerPort") for p in c.get("ports", [])]
        expected = f"http://{sts['metadata']['name']}-{{i}}.{spec.get('serviceName')}:{ports[0] if ports else 9090}"
        if "{i}" in peers:
            if peers != expected:
                problem(at, f"CCPOOL_PEERS {peers!r} should be {expected!r} (pod name, headless Service, HTTP port)")
        elif len(peers.split(",")) != replicas:
            problem(at, f"CCPOOL_PEERS lists {len(peers.split(','))} URLs for {replicas} replicas")

    # The image's contract: user, port, data directory.
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    if docker.get("uid") is not None:
        for ctx, name in ((psc, "pod"), (csc, "container")):
            if ctx.get("runAsUser", docker["uid"]) != docker["uid"] or ctx.get("runAsGroup", docker["gid"]) != docker["gid"]:
                problem(at, f"{name} runAsUser/runAsGroup differ from the image's USER {docker['uid']}:{docker['gid']}")
        if psc.get("fsGroup") != docker["gid"]:
            problem(at, f"fsGroup must be the image's GID {docker['gid']} so the volume is writable")
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    if docker.get("port") not in ports.values():
        problem(at, f"no containerPort {docker.get('port')} (the image's EXPOSE)")
    listen = env_value("CCPOOL_LISTEN") or docker.get("env", {}).get("CCPOOL_LISTEN", "")
    if not listen.endswith(f":{docker.get('port')}"):
        problem(at, f"CCPOOL_LISTEN {listen!r} is not the exposed port")

    # Restricted pod security profile.
    if not (psc.get("runAsNonRoot") or csc.get("runAsNonRoot")):
        problem(at, "runAsNonRoot is not set")
    if (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problem(at, "seccompProfile RuntimeDefault is not set")
    if csc.get("allowPrivilegeEscalation") is not False:
        problem(at, "allowPrivilegeEscalation must be false")
    if csc.get("readOnlyRootFilesystem") is not True:
        problem(at, "readOnlyRootFilesystem must be true")
    if csc.get("privileged"):
        problem(at, "privileged container")
    if (csc.get("capabilities") or {}).get("drop") != ["ALL"] or (csc.get("capabilities") or {}).get("add"):
        problem(at, "capabilities must drop ALL and add none")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for v in volumes.values():
        if "hostPath" in v:
            problem(at, f"volume {v['name']} is a hostPath")
    tmp = mounts.get("/tmp")
    if not tmp or "emptyDir" not in volumes.get(tmp["name"], {}):
        problem(at, "/tmp must be an emptyDir (the root filesystem is read-only)")
    database = env_value("CCPOOL_DATABASE") or docker.get("env", {}).get("CCPOOL_DATABASE", "")
    data = mounts.get(os.path.dirname(database))
    if not data or data["name"] not in claims:
        problem(at, f"the database directory {os.path.dirname(database)} is not on a volumeClaimTemplate")

    # Migrations: an init container runs `ccpool migrate` on the same database volume, and the
    # service refuses pending migrations (it must never rewrite history under a startup probe).
    inits = [i for i in pod.get("initContainers", []) if i.get("image") == c.get("image") and i.get("args") == ["migrate"]]
    if not inits:
        problem(at, "no init container runs `ccpool migrate` (args: [migrate]) with the ccpool image")
    else:
        init_env = {e["name"]: e.get("value") for e in inits[0].get("env", [])}
        init_database = init_env.get("CCPOOL_DATABASE") or docker.get("env", {}).get("CCPOOL_DATABASE", "")
        if init_database != database:
            problem(at, f"the migrate init container's database {init_database!r} is not the service's {database!r}")
        init_mounts = {m["mountPath"]: m["name"] for m in inits[0].get("volumeMounts", [])}
        if data and init_mounts.get(os.path.dirname(database)) != data["name"]:
            problem(at, "the migrate init container does not mount the database volume")
    policy = env_value("CCPOOL_PENDING_MIGRATIONS") or docker.get("env", {}).get("CCPOOL_PENDING_MIGRATIONS")
    if policy != "refuse":
        problem(at, f"the service must refuse pending migrations (CCPOOL_PENDING_MIGRATIONS=refuse), got {policy!r}")

    # Probes.
    def probe(name: str) -> tuple[str | None, object]:
        http = (c.get(name) or {}).get("httpGet") or {}
        return http.get("path"), http.get("port")
    for name, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        got_path, got_port = probe(name)
        if got_path != path:
            problem(at, f"{name} must ask {path}, asks {got_path}")
        if got_port not in ports and got_port not in ports.values():
            problem(at, f"{name} port {got_port!r} is not a container port")

    # Shutdown: the kubelet must wait longer than ccpool's own deadline.
    configmaps = {cm["metadata"]["name"]: cm for cm in by_kind.get("ConfigMap", [])}
    config_path = env_value("CCPOOL_CONFIG")
    config: dict = {}
    mount = mounts.get(os.path.dirname(config_path or ""))
    if not config_path or not mount:
        problem(at, f"CCPOOL_CONFIG {config_path!r} is not in a mounted directory")
    else:
        cm_name = volumes.get(mount["name"], {}).get("configMap", {}).get("name")
        cm = configmaps.get(cm_name)
        key = os.path.basename(config_path)
        if cm is None:
            problem(at, f"the config volume names ConfigMap {cm_name!r}, which is not here")
        elif key not in cm.get("data", {}):
            problem(at, f"ConfigMap {cm_name} has no key {key}")
        else:
            config = check_ccpool_config(yaml.safe_load(cm["data"][key]), f"{where}: ConfigMap/{cm_name}[{key}]")
    plain_env = {k: v.get("value") for k, v in env.items() if "value" in v}
    deadline = shutdown_deadline(config, plain_env, at)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= deadline:
        problem(at, f"terminationGracePeriodSeconds {grace} must exceed the shutdown deadline {deadline:g}s")
    if "CCPOOL_SHARD_COUNT" in plain_env and ("shard_count" in config or "shard_index" in config):
        notes.append("kubernetes: the config file's shard settings are overridden by the StatefulSet's env")

    # Admin token from a Secret, as a file.
    token_file = env_value("CCPOOL_ADMIN_TOKEN_FILE")
    secrets = {s["metadata"]["name"]: s for s in by_kind.get("Secret", [])}
    if not token_file:
        problem(at, "CCPOOL_ADMIN_TOKEN_FILE is not set")
    else:
        mount = mounts.get(os.path.dirname(token_file))
        secret_name = volumes.get(mount["name"], {}).get("secret", {}).get("secretName") if mount else None
        if not secret_name:
            problem(at, f"{token_file} is not in a mounted Secret")
        elif secret_name in secrets:
            s = secrets[secret_name]
            if os.path.basename(token_file) not in {**s.get("data", {}), **s.get("stringData", {})}:
                problem(at, f"Secret {secret_name} has no key {os.path.basename(token_file)}")
            problem(at, f"Secret {secret_name} ships a token in the repository; create it in the cluster instead")
        else:
            notes.append(f"kubernetes: Secret {secret_name} is expected to exist in the cluster")

    # Everything that selects the pods selects them.
    for kind in ("Service", "PodDisruptionBudget", "PodMonitor"):
        for o in by_kind.get(kind, []):
            selector = o["spec"].get("selector", {})
            selector = selector.get("matchLabels", selector) if kind != "Service" else selector
            if not matches(selector, pod_labels):
                problem(where, f"{kind}/{o['metadata']['name']} does not select the ccpool pods")
    governing = {sts["spec"].get("serviceName") for sts in by_kind.get("StatefulSet", [])}
    for svc in by_kind.get("Service", []):
        # The StatefulSet's own Service gives the pods their stable names: it must be headless. Another
        # Service (the one address of the whole pool) may balance over the replicas.
        if svc["metadata"]["name"] in governing and svc["spec"].get("clusterIP") != "None":
            problem(where, f"Service/{svc['metadata']['name']} must be headless (clusterIP: None)")
        for p in svc["spec"].get("ports", []):
            if p.get("targetPort") not in ports and p.get("targetPort") not in ports.values():
                problem(where, f"Service/{svc['metadata']['name']} targetPort {p.get('targetPort')} is not a container port")
    for pm in by_kind.get("PodMonitor", []):
        for endpoint in pm["spec"].get("podMetricsEndpoints", []):
            if endpoint.get("port") not in ports or endpoint.get("path", "/metrics") != "/metrics":
                problem(where, f"PodMonitor/{pm['metadata']['name']} does not scrape port {endpoint.get('port')}/metrics")
    policies = by_kind.get("NetworkPolicy", [])
    if not policies:
        problem(where, "no NetworkPolicy limits who reaches the HTTP port")
    for policy in policies:
        if not matches(policy["spec"].get("podSelector", {}).get("matchLabels", {}), pod_labels):
            problem(where, f"NetworkPolicy/{policy['metadata']['name']} does not select the ccpool pods")
        allowed = {p.get("port") for rule in policy["spec"].get("ingress", []) for p in rule.get("ports", [])}
        if not allowed & ({*ports.values(), *ports}):
            problem(where, f"NetworkPolicy/{policy['metadata']['name']} lets nothing reach the container port")
    if not by_kind.get("PodDisruptionBudget"):
        problem(where, "no PodDisruptionBudget")
    for ns in by_kind.get("Namespace", []):
        if ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            problem(where, f"Namespace/{ns['metadata']['name']} does not enforce the restricted Pod Security profile")


# ---------------------------------------------------------------------------------------------
# Alerts: known metrics, and a firing and a not-firing test for each alert.

def check_alerts() -> None:
    rules_path = DEPLOY / "alerts.yaml"
    tests_path = DEPLOY / "alerts.test.yaml"
    rules = load_yaml(rules_path)
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    firing: dict[str, int] = {}
    quiet: dict[str, int] = {}
    for test in load_yaml(tests_path).get("tests", []):
        for case in test.get("alert_rule_test", []):
            target = firing if case.get("exp_alerts") else quiet
            target[case["alertname"]] = target.get(case["alertname"], 0) + 1
    for alert in alerts:
        name = alert["alert"]
        if not firing.get(name):
            problem(rel(tests_path), f"{name} has no test in which it fires")
        if not quiet.get(name):
            problem(rel(tests_path), f"{name} has no test in which it must not fire")
        for key in ("summary", "description"):
            if key not in alert.get("annotations", {}):
                problem(rel(rules_path), f"{name} has no {key} annotation")
        if "severity" not in alert.get("labels", {}):
            problem(rel(rules_path), f"{name} has no severity label")
    for name in set(firing) | set(quiet):
        if name not in {a["alert"] for a in alerts}:
            problem(rel(tests_path), f"tests an alert {name} that alerts.yaml does not define")

    documented_alerts = markdown_table(OPERATIONS_REFERENCE, ["alert", "severity", "fires when"])
    if documented_alerts is None:
        problem(rel(OPERATIONS_REFERENCE), "missing, or has no table starting with | alert | severity | fires when |")
    else:
        severities = {row[0]: row[1] for row in documented_alerts}
        for alert in alerts:
            name = alert["alert"]
            if name not in severities:
                problem(rel(OPERATIONS_REFERENCE), f"the alerts table does not list {name}")
            elif severities[name] != alert.get("labels", {}).get("severity"):
                problem(rel(OPERATIONS_REFERENCE), f"{name} is documented as {severities[name]}, alerts.yaml says "
                        f"{alert.get('labels', {}).get('severity')}")
        for name in set(severities) - {a["alert"] for a in alerts}:
            problem(rel(OPERATIONS_REFERENCE), f"the alerts table lists {name}, which alerts.yaml does not define")

    known = documented_metric_families()
    if known is None:
        return
    for alert in alerts:
        for metric in set(re.findall(r"\bccpool_[a-z0-9_]+", alert["expr"])):
            family = metric
            for suffix in ("_bucket", "_sum", "_count"):
                if metric.endswith(suffix) and known.get(metric[: -len(suffix)]) == "histogram":
                    family = metric[: -len(suffix)]
            if family not in known:
                problem(rel(rules_path), f"{alert['alert']} uses {metric}, which docs/metrics.md does not list")


METRICS_REFERENCE = ROOT / "docs" / "metrics.md"
OPERATIONS_REFERENCE = ROOT / "docs" / "operations.md"


def markdown_table(path: Path, header: list[str]) -> list[list[str]] | None:
    """The rows (cells without backticks) of the first table in `path` whose header starts with `header`;
    None when the file or the table is missing."""
    if not path.is_file():
        return None
    rows: list[list[str]] = []
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().replace("`", "").strip() for c in line.strip().strip("|").split("|")]
        if not in_table:
            in_table = line.startswith("|") and cells[: len(header)] == header
            continue
        if not line.startswith("|"):
            break
        if set(cells[0]) <= set("- "):
            continue  # the separator row
        rows.append(cells)
    return rows if in_table else None


def documented_metric_families() -> dict[str, str] | None:
    """Name -> type of every family in the table of docs/metrics.md; None (with a problem) when the
    file or its table is missing: the alert check must not be skipped silently."""
    if not METRICS_REFERENCE.is_file():
        problem(rel(METRICS_REFERENCE), "missing: the alerts' metric names cannot be checked without it")
        return None
    rows = markdown_table(METRICS_REFERENCE, ["name", "type", "labels", "meaning"])
    if not rows:
        problem(rel(METRICS_REFERENCE), "has no table starting with | name | type | labels | meaning |")
        return None
    return {row[0]: row[1] for row in rows}


def check_image_tag() -> None:
    """The Kubernetes image tag is the VERSION file's version."""
    path = DEPLOY / "kubernetes" / "base" / "kustomization.yaml"
    version = (ROOT / "VERSION").read_text().strip()
    tags = [str(i.get("newTag")) for i in load_yaml(path).get("images", []) if i.get("name") == "ccpool"]
    if tags != [version]:
        problem(rel(path), f"the ccpool image tag must be VERSION's {version!r}, got {tags}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", action="append", type=Path, default=[])
    args = parser.parse_args()
    docker = check_dockerfile()
    check_compose(docker)
    check_image_tag()
    for rendered in args.rendered or [None]:
        check_kubernetes(docker, rendered)
    check_alerts()
    for note in dict.fromkeys(notes):
        print(f"note: {note}")
    for p in problems:
        print(f"problem: {p}")
    print(f"consistency: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
