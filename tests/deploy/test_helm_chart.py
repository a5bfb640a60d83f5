"""deploy/helm/denialwatch: Helm lint, render with Helm's engine, validate against Kubernetes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.conftest import CHART, Dockerfile, RenderError, lint_chart

Render = Callable[..., dict[str, str]]

# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest schema known.
KUBERNETES_VERSIONS = ["1.27.0", kubernetes_validate.utils.latest_version()]

PRODUCTION: dict[str, Any] = {
    "replicaCount": 3,
    "existingSecret": "denialwatch-secrets",
    "image": {"repository": "registry.example.org/newsroom/denialwatch", "tag": "1.2.3"},
    "config": {"DENIALWATCH_ADMINS": "U012ABCDEF,@editor:example.org"},
    "watchlist": '{"agencies": [], "topics": []}',
    "persistence": {"existingClaim": "denialwatch-data"},
    "networkPolicy": {
        "enabled": True,
        "extraEgress": [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}],
    },
    "extraEnv": [{"name": "SLACK_BOT_TOKEN_FILE", "value": "/run/secrets/dw/slack_bot_token"}],
    "extraVolumes": [{"name": "dw-files", "secret": {"secretName": "denialwatch-files"}}],
    "extraVolumeMounts": [{"name": "dw-files", "mountPath": "/run/secrets/dw", "readOnly": True}],
    "imagePullSecrets": [{"name": "regcred"}],
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "host": "dw.example.org",
        "tls": [{"hosts": ["dw.example.org"], "secretName": "dw-tls"}],
    },
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "denialwatch"}},
        }
    ],
}

VALUE_SETS = {"defaults": {}, "production": PRODUCTION}


def manifests(rendered: dict[str, str]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path, text in rendered.items():
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for doc in docs:
        assert doc["kind"] not in kinds, f"two {doc['kind']} objects"
        kinds[doc["kind"]] = doc
    return kinds


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(request: pytest.FixtureRequest, render: Render) -> dict[str, dict[str, Any]]:
    return by_kind(manifests(render(VALUE_SETS[request.param])))


@pytest.fixture(scope="module")
def production(render: Render) -> dict[str, dict[str, Any]]:
    return by_kind(manifests(render(PRODUCTION)))


@pytest.fixture(scope="module")
def defaults(render: Render) -> dict[str, dict[str, Any]]:
    return by_kind(manifests(render({})))


def container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def test_chart_passes_helm_lint() -> None:
    result = lint_chart()
    assert result["errors"] == []
    # Severity 1 is informational ("icon is recommended"); 2 and above are warnings/errors.
    problems = [m for m in result["messages"] if m["severity"] >= 2]
    assert problems == []


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", sorted(VALUE_SETS))
def test_rendered_manifests_are_valid_kubernetes_objects(
    render: Render, values: str, version: str
) -> None:
    docs = manifests(render(VALUE_SETS[values]))
    assert docs
    for doc in docs:
        # strict: unknown fields (typos such as `readinesProbe`) are errors too.
        kubernetes_validate.validate(doc, version, strict=True)


def test_chart_declares_the_oldest_kubernetes_it_is_validated_against() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["kubeVersion"] == f">={KUBERNETES_VERSIONS[0]}-0"


def test_default_values_render_every_core_object(defaults: dict[str, dict[str, Any]]) -> None:
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} <= set(defaults)
    assert "NetworkPolicy" not in defaults
    assert "Ingress" not in defaults
    assert defaults["Deployment"]["spec"]["replicas"] == 1


def test_several_replicas_without_a_database_secret_are_refused(render: Render) -> None:
    with pytest.raises(RenderError, match="existingSecret"):
        render({"replicaCount": 2})


def test_probes_use_healthz_for_liveness_and_readyz_for_readiness(
    rendered: dict[str, dict[str, Any]],
) -> None:
    spec = container(rendered)
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert spec["startupProbe"]["httpGet"]["path"] == "/healthz"
    config = rendered["ConfigMap"]["data"]
    assert ports["http"] == int(config["DENIALWATCH_HTTP_PORT"])
    assert config["DENIALWATCH_HTTP_HOST"] == "0.0.0.0"


def test_pod_runs_non_root_on_a_read_only_root_filesystem(
    rendered: dict[str, dict[str, Any]], dockerfile: Dockerfile
) -> None:
    pod = rendered["Deployment"]["spec"]["template"]["spec"]
    spec = container(rendered)
    uid, _, gid = dockerfile.runtime.last("USER").args.partition(":")
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(uid)
    assert pod["securityContext"]["runAsGroup"] == int(gid)
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False


def test_writable_paths_are_volumes(
    rendered: dict[str, dict[str, Any]], dockerfile: Dockerfile
) -> None:
    pod = rendered["Deployment"]["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in container(rendered)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    workdir = dockerfile.runtime.last("WORKDIR").args
    store = rendered["ConfigMap"]["data"]["DENIALWATCH_MATRIX_STORE"]
    assert store.startswith(workdir + "/")
    assert workdir in mounts, "the data directory (SQLite, Matrix store) must be writable"


def test_data_directory_is_an_empty_dir_unless_a_claim_is_named(
    defaults: dict[str, dict[str, Any]], production: dict[str, dict[str, Any]]
) -> None:
    def data_volume(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
        volumes = objects["Deployment"]["spec"]["template"]["spec"]["volumes"]
        return next(v for v in volumes if v["name"] == "data")

    assert "emptyDir" in data_volume(defaults)
    claim = data_volume(production)["persistentVolumeClaim"]["claimName"]
    assert claim == PRODUCTION["persistence"]["existingClaim"]


def test_container_runs_the_images_command(
    rendered: dict[str, dict[str, Any]], dockerfile: Dockerfile
) -> None:
    spec = container(rendered)
    assert "command" not in spec, "keep the image ENTRYPOINT"
    assert spec["args"] == dockerfile.runtime.last("CMD").exec_form()


def test_settings_come_from_the_configmap_and_the_existing_secret(
    production: dict[str, dict[str, Any]],
) -> None:
    env_from = container(production)["envFrom"]
    assert {"configMapRef": {"name": production["ConfigMap"]["metadata"]["name"]}} in env_from
    assert {"secretRef": {"name": PRODUCTION["existingSecret"]}} in env_from
    data = production["ConfigMap"]["data"]
    assert data["DENIALWATCH_ADMINS"] == PRODUCTION["config"]["DENIALWATCH_ADMINS"]
    assert all(isinstance(value, str) for value in data.values())


def test_chart_never_puts_secret_values_in_a_configmap(
    production: dict[str, dict[str, Any]],
) -> None:
    assert "Secret" not in production
    keys = set(production["ConfigMap"]["data"])
    assert not keys & {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MATRIX_ACCESS_TOKEN"}


def test_watchlist_is_mounted_and_named_by_its_variable(
    production: dict[str, dict[str, Any]],
) -> None:
    data = production["ConfigMap"]["data"]
    path = data["DENIALWATCH_WATCHLIST"]
    assert data["watchlist.json"].strip() == PRODUCTION["watchlist"]
    mounts = {m["mountPath"]: m for m in container(production)["volumeMounts"]}
    directory, _, filename = path.rpartition("/")
    assert mounts[directory]["readOnly"] is True
    volume = next(
        v
        for v in production["Deployment"]["spec"]["template"]["spec"]["volumes"]
        if v["name"] == mounts[directory]["name"]
    )
    assert volume["configMap"]["items"] == [{"key": "watchlist.json", "path": filename}]


def test_service_and_disruption_budget_select_the_pods(
    rendered: dict[str, dict[str, Any]],
) -> None:
    pod_labels = rendered["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selectors = [
        rendered["Service"]["spec"]["selector"],
        rendered["Deployment"]["spec"]["selector"]["matchLabels"],
        rendered["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= pod_labels.items()
    assert rendered["Service"]["spec"]["ports"][0]["targetPort"] == "http"


def test_rolling_update_keeps_capacity_and_drains_before_sigkill(
    rendered: dict[str, dict[str, Any]],
) -> None:
    deployment = rendered["Deployment"]["spec"]
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["template"]["spec"]
    # preStop sleep + the service's 10 s drain must fit in the grace period.
    pre_stop = container(rendered)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 10


def test_config_changes_roll_the_pods(render: Render) -> None:
    def checksum(values: dict[str, Any]) -> str:
        deployment = by_kind(manifests(render(values)))["Deployment"]
        annotation: str = deployment["spec"]["template"]["metadata"]["annotations"][
            "checksum/config"
        ]
        return annotation

    assert re.fullmatch(r"[0-9a-f]{64}", checksum({}))
    assert checksum({}) != checksum({"config": {"DENIALWATCH_LOG_FORMAT": "console"}})


def test_network_policy_blocks_private_and_metadata_ranges(
    production: dict[str, dict[str, Any]],
) -> None:
    egress = production["NetworkPolicy"]["spec"]["egress"]
    blocks = [
        peer["ipBlock"] for rule in egress for peer in rule.get("to", []) if "ipBlock" in peer
    ]
    public = next(block for block in blocks if block["cidr"] == "0.0.0.0/0")
    blocked = set(public["except"])
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= blocked
    assert PRODUCTION["networkPolicy"]["extraEgress"][0] in egress


def test_image_defaults_to_the_charts_app_version(
    defaults: dict[str, dict[str, Any]], production: dict[str, dict[str, Any]]
) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert container(defaults)["image"] == f"denialwatch:{chart['appVersion']}"
    image = PRODUCTION["image"]
    assert container(production)["image"] == f"{image['repository']}:{image['tag']}"


def test_resource_names_follow_the_release(render: Render) -> None:
    objects = by_kind(manifests(render({}, release="news")))
    assert objects["Deployment"]["metadata"]["name"] == "news-denialwatch"
    objects = by_kind(manifests(render({}, release="denialwatch")))
    assert objects["Service"]["metadata"]["name"] == "denialwatch"


def test_every_top_level_value_is_documented() -> None:
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()
    undocumented = [
        line.split(":")[0]
        for index, line in enumerate(lines)
        if re.match(r"[a-zA-Z]\w*:", line)
        and not any(lines[j].startswith("#") for j in range(max(index - 2, 0), index))
    ]
    assert undocumented == []


def test_ingress_exposes_only_the_slack_endpoint(production: dict[str, dict[str, Any]]) -> None:
    ingress = production["Ingress"]["spec"]
    assert ingress["tls"] == PRODUCTION["ingress"]["tls"]
    (rule,) = ingress["rules"]
    assert rule["host"] == PRODUCTION["ingress"]["host"]
    paths = [p["path"] for p in rule["http"]["paths"]]
    assert paths == ["/slack/events"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": production["Service"]["metadata"]["name"], "port": {"name": "http"}}


def test_ingress_routes_the_evidence_pages_only_when_asked(render: Render) -> None:
    values = {**PRODUCTION, "ingress": {**PRODUCTION["ingress"], "pages": True}}
    ingress = by_kind(manifests(render(values)))["Ingress"]
    kubernetes_validate.validate(ingress, KUBERNETES_VERSIONS[-1], strict=True)
    (rule,) = ingress["spec"]["rules"]
    routed = {p["path"]: p["pathType"] for p in rule["http"]["paths"]}
    assert routed == {
        "/slack/events": "Prefix",
        "/": "Exact",
        "/alerts/": "Prefix",
        "/agencies/": "Prefix",
        "/pages/static/": "Prefix",
    }
