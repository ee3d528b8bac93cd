"""deploy/kubernetes: the base and the production overlay, rendered by the minimal kustomize
of kustomize.py, every object checked offline against the Kubernetes schemas that
kubernetes-validate ships; then what the manifests must hold for the app: every setting it
reads, probes, graceful shutdown, disruption budget, autoscaler, migration Job, network
policies and SSE-safe ingress."""

import base64
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import REPO, known_settings
from kustomize import KustomizeError, render

try:
    import kubernetes_validate
except ImportError:
    kubernetes_validate = None

DEPLOY = REPO / "deploy" / "kubernetes"
BASE = DEPLOY / "base"
PRODUCTION = DEPLOY / "overlays" / "production"
# The oldest Kubernetes the manifests promise to work on, and the newest the pinned
# kubernetes-validate (scripts/lib/deps.sh) knows.
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
# Read by the app but deliberately left out of the ConfigMap and the Secret.
DELIBERATELY_DEFAULTED = {"PATH": "the image's, where pdftotext is found"}
# The variables whose values are secrets: in the Secret, never in the ConfigMap.
SECRET_SETTINGS = {"SECRET_KEY", "DATABASE_URL", "REDIS_PASSWORD", "ENCRYPTION_KEY", "ADMIN_PASSWORD", "METRICS_TOKEN"}
PRODUCTION_SECRETS = {
    "SECRET_KEY": "k" * 64,
    "DATABASE_URL": "postgresql://ai_agent:pg-test-password@postgres:5432/ai_agent_db",
    "REDIS_PASSWORD": "redis-test-password",
    "ENCRYPTION_KEY": base64.b64encode(b"e" * 32).decode(),
    "ADMIN_PASSWORD": "admin-test-password",
    "METRICS_TOKEN": "metrics-test-token",
}
SERVER_LABELS = {"app.kubernetes.io/name": "ai-agent-backend", "app.kubernetes.io/component": "server"}


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return render(BASE)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> list[dict]:
    """The production overlay with a secrets.env as its documentation says to write."""
    copy = tmp_path_factory.mktemp("kubernetes") / "kubernetes"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("secrets.env"))
    (copy / "overlays" / "production" / "secrets.env").write_text(
        "".join(f"{k}={v}\n" for k, v in PRODUCTION_SECRETS.items()))
    return render(copy / "overlays" / "production")


@pytest.fixture(params=["base", "production"])
def rendered(request) -> list[dict]:
    return request.getfixturevalue(request.param)


def one(objects: list[dict], kind: str, name: str) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def config(objects: list[dict]) -> dict[str, str]:
    return one(objects, "ConfigMap", "ai-agent-backend-config")["data"]


def secrets(objects: list[dict]) -> dict[str, str]:
    data = one(objects, "Secret", "ai-agent-backend-secrets")["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def app_container(objects: list[dict], kind: str = "Deployment", name: str = "ai-agent-backend") -> dict:
    containers = one(objects, kind, name)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels only: the manifests use no expressions) matching labels."""
    assert set(selector) <= {"matchLabels"}, f"unexpected selector {selector}"
    return selector.get("matchLabels", {}).items() <= labels.items()


def settings_the_app_reads() -> set[str]:
    """Every variable read in Sources (the settings reader's calls and direct environment
    look-ups), with those .env.example documents."""
    names = set(known_settings())
    for path in (REPO / "Sources").rglob("*.swift"):
        text = path.read_text()
        names |= set(re.findall(r'reader\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', text))
        names |= set(re.findall(r'environment\["([A-Z][A-Z0-9_]*)"\]', text))
    return names


# --- schemas and rendering ---

@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_kubernetes(rendered, version):
    if kubernetes_validate is None:
        pytest.fail("kubernetes-validate is not installed; scripts/test installs it (ensure_deps in scripts/lib/deps.sh)")
    for obj in rendered:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']} {obj['metadata']['name']} is not valid for Kubernetes {version}: {error}")


def test_every_file_is_part_of_a_kustomization():
    for directory in (BASE, PRODUCTION):
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
        used = {"kustomization.yaml", ".gitignore", "secrets.env"}
        used |= set(kustomization.get("resources", []))
        used |= {p["path"] for p in kustomization.get("patches", [])}
        for generator in kustomization.get("configMapGenerator", []) + kustomization.get("secretGenerator", []):
            used |= set(generator.get("envs", []))
        files = {p.name for p in directory.iterdir() if p.is_file()}
        assert files <= used, f"{directory.relative_to(REPO)} holds files no kustomization uses: {sorted(files - used)}"


def test_the_renderer_refuses_what_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(KustomizeError, match="commonLabels"):
        render(tmp_path)


def test_production_needs_its_own_secrets_file(tmp_path):
    copy = tmp_path / "kubernetes"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("secrets.env"))
    with pytest.raises(KustomizeError, match="secrets.env"):
        render(copy / "overlays" / "production")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(PRODUCTION / "secrets.env")], cwd=REPO)
    assert ignored.returncode == 0, "git must ignore deploy/kubernetes/overlays/production/secrets.env"
    dockerignore = (REPO / ".dockerignore").read_text().splitlines()
    assert "deploy" in dockerignore, "the Docker build context must leave deploy/ (and secrets.env) out"


# --- settings ---

def test_every_setting_the_app_reads_is_set_or_deliberately_defaulted(rendered):
    provided = set(config(rendered)) | set(secrets(rendered))
    missing = settings_the_app_reads() - provided - set(DELIBERATELY_DEFAULTED)
    assert not missing, f"set these in base/config.env or base/secrets.example.env, or list them as defaulted: {sorted(missing)}"
    unknown = provided - settings_the_app_reads()
    assert not unknown, f"the app reads no such setting: {sorted(unknown)}"


def test_secrets_are_only_in_the_secret(rendered):
    assert set(secrets(rendered)) == SECRET_SETTINGS
    assert not SECRET_SETTINGS & set(config(rendered))
    looks_secret = {k for k in config(rendered) if re.search(r"PASSWORD$|SECRET|TOKEN$|_KEY$", k)}
    assert not looks_secret, f"secret-looking settings in the ConfigMap: {sorted(looks_secret)}"


def test_the_base_placeholders_fail_closed(base):
    placeholders = secrets(base)
    # Production refuses a SECRET_KEY under 32 characters: a forgotten placeholder cannot start.
    assert "CHANGE-ME" in placeholders["SECRET_KEY"] and len(placeholders["SECRET_KEY"]) < 32
    assert urlsplit(placeholders["DATABASE_URL"]).password == "CHANGE-ME"
    assert placeholders["REDIS_PASSWORD"] == "CHANGE-ME"


def test_the_production_overlay(production):
    assert secrets(production) == PRODUCTION_SECRETS, "the production Secret must be secrets.env, and only it"
    settings = config(production)
    assert settings["DATABASE_POOL_SIZE"] == "8"
    assert settings["ENVIRONMENT"] == "production", "the overlay's merge must keep the base's settings"

    for kind, name in (("Deployment", "ai-agent-backend"), ("Job", "ai-agent-backend-migrate")):
        image = app_container(production, kind, name)["image"]
        assert image.startswith("registry.example.com/ai-agent-backend:")
        assert not image.endswith(":latest")

    hpa = one(production, "HorizontalPodAutoscaler", "ai-agent-backend")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    # Every replica at its pool size, and the migration Job's connection, under PostgreSQL's default 100.
    assert hpa["maxReplicas"] * int(settings["DATABASE_POOL_SIZE"]) + 1 < 100

    resources = app_container(production)["resources"]
    assert resources["limits"]["memory"] == "2Gi"
    assert app_container(production)["readinessProbe"]["httpGet"]["path"] == "/health", "the patch must keep the probes"

    ingress = one(production, "Ingress", "ai-agent-backend")
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert all(o["metadata"].get("namespace") == "ai-agent" for o in production if o["kind"] != "Namespace")


# --- the Deployment ---

def test_probes_shutdown_and_resources(rendered):
    settings = config(rendered)
    deployment = one(rendered, "Deployment", "ai-agent-backend")
    pod = deployment["spec"]["template"]["spec"]
    container = app_container(rendered)
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the replica count"
    assert selects(deployment["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])

    assert settings["HOST"] == "0.0.0.0"
    assert container["ports"] == [{"name": "http", "containerPort": int(settings["PORT"])}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    startup = container["startupProbe"]
    assert startup["httpGet"] == {"path": "/health/live", "port": "http"}
    # The server listens only after waiting up to DATABASE_CONNECT_TIMEOUT for the database.
    assert startup["periodSeconds"] * startup["failureThreshold"] > int(settings["DATABASE_CONNECT_TIMEOUT"])

    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pre_stop >= 5, "endpoints need a few seconds to drop the pod before SIGTERM"
    assert pod["terminationGracePeriodSeconds"] > pre_stop + int(settings["SHUTDOWN_TIMEOUT"])

    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])


def test_security_context_and_volumes(rendered):
    settings = config(rendered)
    pod = one(rendered, "Deployment", "ai-agent-backend")["spec"]["template"]["spec"]
    container = app_container(rendered)
    dockerfile = (REPO / "Dockerfile").read_text()
    uid = int(re.search(r"useradd [^\n]*--uid (\d+)", dockerfile).group(1))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert f"CONSOLE_DIR={settings['CONSOLE_DIR']}" in dockerfile.replace(" ", ""), "CONSOLE_DIR must be where the image has it"

    # On a read-only root, every folder the app writes is a volume: uploads, logs, and /tmp (pdftotext).
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for path in (settings["UPLOAD_DIR"], settings["LOG_DIR"], "/tmp"):
        assert path in mounts, f"{path} is not mounted"
    # Any replica's ingestion job reads the documents another stored: one volume for all.
    uploads = volumes[mounts[settings["UPLOAD_DIR"]]]["persistentVolumeClaim"]["claimName"]
    assert one(rendered, "PersistentVolumeClaim", uploads)["spec"]["accessModes"] == ["ReadWriteMany"]
    for path in (settings["LOG_DIR"], "/tmp"):
        assert "sizeLimit" in volumes[mounts[path]]["emptyDir"]


def test_disruption_budget_and_autoscaler(rendered):
    labels = one(rendered, "Deployment", "ai-agent-backend")["spec"]["template"]["metadata"]["labels"]
    pdb = one(rendered, "PodDisruptionBudget", "ai-agent-backend")["spec"]
    assert selects(pdb["selector"], labels)
    hpa = one(rendered, "HorizontalPodAutoscaler", "ai-agent-backend")
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ai-agent-backend"}
    assert spec["minReplicas"] >= 2
    assert [m["resource"]["name"] for m in spec["metrics"] if m["type"] == "Resource"] == ["cpu"]
    # A drain must be able to proceed, and leave a replica serving.
    assert pdb["maxUnavailable"] == 1 and spec["minReplicas"] > pdb["maxUnavailable"]


def test_migration_job(rendered):
    job = one(rendered, "Job", "ai-agent-backend-migrate")
    container = app_container(rendered, "Job", "ai-agent-backend-migrate")
    server = app_container(rendered)
    assert container["args"] == ["migrate", "upgrade", "head"]
    assert container["image"] == server["image"]
    assert container["envFrom"] == server["envFrom"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert config(rendered)["AUTO_MIGRATE"] == "true", "pods seed the admin account into an empty database"


def test_service_and_ingress_keep_streams_unbuffered(rendered):
    labels = one(rendered, "Deployment", "ai-agent-backend")["spec"]["template"]["metadata"]["labels"]
    service = one(rendered, "Service", "ai-agent-backend")["spec"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] == "http"

    ingress = one(rendered, "Ingress", "ai-agent-backend")
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": "ai-agent-backend", "port": {"name": "http"}}]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    body_limit = int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].removesuffix("m")) << 20
    assert body_limit > int(config(rendered)["MAX_BODY_SIZE"]), "the app, not nginx, must answer 413"


# --- network ---

def test_only_the_app_reaches_the_database_and_redis(rendered):
    server = one(rendered, "Deployment", "ai-agent-backend")["spec"]["template"]["metadata"]["labels"]
    migrate = one(rendered, "Job", "ai-agent-backend-migrate")["spec"]["template"]["metadata"]["labels"]
    policies = {p["metadata"]["name"]: p["spec"] for p in rendered if p["kind"] == "NetworkPolicy"}
    for name, port, clients in (("ai-agent-db", 5432, [server, migrate]), ("ai-agent-redis", 6379, [server])):
        policy = policies[name]
        assert policy["policyTypes"] == ["Ingress"]
        own = policy["podSelector"]
        for rule in policy["ingress"]:
            assert rule.get("from"), f"{name}: a rule without `from` admits everyone"
            for peer in rule["from"]:
                if peer.get("podSelector") == own and "namespaceSelector" not in peer:
                    continue  # the data store's own pods (replication)
                admits_port = not rule.get("ports") or any(p["port"] == port for p in rule["ports"])
                if admits_port:
                    assert "namespaceSelector" not in peer, f"{name}: port {port} open to another namespace"
                    # An empty selector would match every pod: the app's name must be in it.
                    app_name = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                    assert app_name == "ai-agent-backend", f"{name}: port {port} open to pods other than the app"
        app_rules = [r for r in policy["ingress"] if any(selects(p.get("podSelector", {}), server) for p in r["from"])
                     and r.get("ports") == [{"port": port, "protocol": "TCP"}]]
        for labels in clients:
            assert any(any(selects(p["podSelector"], labels) for p in r["from"]) for r in app_rules), \
                f"{name}: the app's pods ({labels}) cannot reach port {port}"


def test_the_app_accepts_only_the_ingress_controller_and_prometheus(rendered):
    policy = one(rendered, "NetworkPolicy", "ai-agent-backend")["spec"]
    assert selects(policy["podSelector"], SERVER_LABELS)
    assert policy["policyTypes"] == ["Ingress"]
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    namespaces = {peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["from"]}
    assert namespaces == {"ingress-nginx", "monitoring"}
    assert all("podSelector" in peer for peer in rule["from"]), "a whole namespace is admitted"


def test_database_and_redis_are_external_services(rendered):
    hosts = {"postgres": urlsplit(secrets(rendered)["DATABASE_URL"]).hostname,
             "redis": urlsplit(config(rendered)["REDIS_URL"]).hostname}
    for name, host in hosts.items():
        assert host == name, f"the app must reach {name} by the Service's name, not {host}"
        service = one(rendered, "Service", name)["spec"]
        assert service["type"] == "ExternalName" and "." in service["externalName"]
