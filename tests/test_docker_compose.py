"""docker-compose.yml shows the production topology (ADR 0014) and stays valid without Docker: it is
read as YAML and its services, their order of starting, the queues and the variables it uses are
checked against the code and the documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from casework.outbox import QUEUES

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(TEXT)
SERVICES = COMPOSE["services"]
WORKERS = {name: service for name, service in SERVICES.items() if name.startswith("worker")}
APP_SERVICES = ["web", "beat", *WORKERS]


def depends_on(name: str) -> dict[str, str]:
    return {other: rule["condition"] for other, rule in SERVICES[name].get("depends_on", {}).items()}


def test_the_production_topology():
    assert set(SERVICES) == {
        "db",
        "pgbouncer",
        "redis",
        "migrate",
        "web",
        "proxy",
        "worker-default",
        "worker-pdf",
        "worker-reports",
        "beat",
    }
    assert SERVICES["proxy"]["image"].startswith("nginx:")
    assert SERVICES["db"]["image"] == "postgres:16" and SERVICES["redis"]["image"] == "redis:7"
    assert int(str(SERVICES["web"]["deploy"]["replicas"]).split(":-")[-1].rstrip("}")) >= 2
    assert "deploy" not in SERVICES["beat"]  # exactly one beat


def test_only_the_proxy_is_published_and_it_shares_the_web_containers():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    [mount] = SERVICES["proxy"]["volumes"]
    assert mount == "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000;" in nginx and "listen 8080;" in nginx
    assert SERVICES["proxy"]["ports"] == ["${WEB_PORT:-8000}:8080"]
    # Larger than the largest evidence upload (EVIDENCE_MAX_UPLOAD_MB, 20 by default).
    assert int(re.search(r"client_max_body_size (\d+)m;", nginx)[1]) > 20


def test_services_start_in_order():
    assert depends_on("pgbouncer") == {"db": "service_healthy"}
    assert depends_on("migrate") == {"db": "service_healthy"}
    assert depends_on("proxy") == {"web": "service_healthy"}
    for name in APP_SERVICES:
        assert depends_on(name) == {
            "pgbouncer": "service_healthy",
            "redis": "service_healthy",
            "migrate": "service_completed_successfully",
        }, name
    for name in ("db", "redis", "pgbouncer", "web"):
        assert "healthcheck" in SERVICES[name], name


def test_the_app_connects_through_pgbouncer_and_migrate_straight_to_postgres():
    environment = COMPOSE["x-app"]["environment"]
    assert "@pgbouncer:5432/" in environment["DATABASE_URL"]
    assert environment["DATABASE_POOL"] == "pgbouncer"
    assert SERVICES["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    migrate = SERVICES["migrate"]["environment"]
    assert "@db:5432/" in migrate["DATABASE_URL"] and "@db:5432/" in migrate["DATABASE_MIGRATE_URL"]
    assert migrate["DATABASE_POOL"] == "off"
    # PgBouncer passes no startup options: the server is set as Django would ask.
    assert SERVICES["db"]["command"] == [
        "postgres",
        "-c",
        "jit=off",
        "-c",
        "max_parallel_workers_per_gather=0",
    ]


def test_every_image_pulled_is_pinned_to_a_version():
    """An image pulled from a registry names a version (postgres:16, edoburu/pgbouncer:v1.25.1-p0),
    never "latest" or no tag, so a restart cannot bring a new one in unannounced. The application's
    own image is built here (`build: .`); its name is only the tag of that local build."""
    pulled = {name: s["image"] for name, s in SERVICES.items() if "image" in s and "build" not in s}
    assert set(pulled) >= {"db", "redis", "pgbouncer", "proxy"}
    for name, image in pulled.items():
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned to a version"
    assert SERVICES["pgbouncer"]["image"] == "edoburu/pgbouncer:v1.25.1-p0"


def queue_of(service: dict) -> str:
    command = service["command"]
    return command[command.index("-Q") + 1]


def test_one_worker_service_per_queue():
    assert sorted(queue_of(service) for service in WORKERS.values()) == sorted(QUEUES)
    for name, service in WORKERS.items():
        queue = queue_of(service)
        assert name == f"worker-{queue}"
        command = service["command"]
        assert command[command.index("-n") + 1] == f"{queue}@%h"
        assert f"--destination {queue}@$$HOSTNAME" in service["healthcheck"]["test"][1]
    pdf = WORKERS["worker-pdf"]["command"]
    assert pdf[pdf.index("--max-memory-per-child") + 1] == "${CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB:-400000}"


def test_files_are_shared_by_every_app_container():
    environment = COMPOSE["x-app"]["environment"]
    assert environment["FILE_STORAGE"] == "${FILE_STORAGE:-local}"
    for name in APP_SERVICES:
        volumes = SERVICES[name].get("volumes", COMPOSE["x-app"]["volumes"])
        if name != "beat":
            assert "private-files:/var/lib/casework/private" in volumes, name


@pytest.mark.parametrize("name", sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", TEXT))))
def test_every_variable_it_reads_is_documented(name):
    assert re.search(rf"^#?\s*{name}=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE), name
    assert f"`{name}`" in (ROOT / "README.md").read_text(), name
