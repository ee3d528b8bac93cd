"""A minimal kustomize, for the tests only (no kustomize binary is installed where they run).

It renders exactly the features deploy/kubernetes uses, and refuses any other, so that a
manifest change needing more fails here instead of being rendered wrongly:

- `resources`: files (several documents each) and directories holding a kustomization;
- `configMapGenerator` and `secretGenerator` from `envs` files and `literals`, with
  `behavior` create, merge or replace, and only with `disableNameSuffixHash: true` (the
  hash kustomize appends, and the rewriting of references to it, are not reproduced);
- `patches` given by `path`: strategic merge patches on the object of the same kind and
  name. Lists are merged by the key Kubernetes declares for the lists named in
  `MERGE_KEYS`; every other list is replaced, as a strategic merge does for a list
  without a merge key. `$patch` directives are refused;
- `images` (`newName`, `newTag`) on the pod templates' containers;
- `namespace` on every namespaced object (and as the name of a Namespace object).

What kubectl's kustomize would add beyond this (its ordering of objects, labels it never
adds here) does not matter to the checks made on the result.
"""

import base64
import copy
import re
from pathlib import Path

import yaml

SUPPORTED_FIELDS = {"apiVersion", "kind", "namespace", "resources", "images", "generatorOptions", "configMapGenerator",
                    "secretGenerator", "patches"}
GENERATOR_FIELDS = {"name", "behavior", "envs", "literals"}
# The patch merge keys of the lists the patches may reach (Kubernetes' API types declare them).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "ports": "containerPort"}
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                        "IngressClass", "PriorityClass", "CustomResourceDefinition"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class KustomizeError(Exception):
    pass


def render(directory: Path) -> list[dict]:
    """The objects `kubectl kustomize directory` makes, as far as this renderer goes."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    if unsupported:
        raise KustomizeError(f"{directory}/kustomization.yaml uses {sorted(unsupported)}, which this renderer does not")

    objects: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        else:
            objects += [document for document in yaml.safe_load_all(path.read_text()) if document]

    generators = [("ConfigMap", g) for g in kustomization.get("configMapGenerator", [])]
    generators += [("Secret", g) for g in kustomization.get("secretGenerator", [])]
    if generators and kustomization.get("generatorOptions") != {"disableNameSuffixHash": True}:
        raise KustomizeError(f"{directory}: generators need generatorOptions {{disableNameSuffixHash: true}} here")
    for kind, generator in generators:
        generate(directory, kind, generator, objects)

    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise KustomizeError(f"{directory}: only patches given by `path` are supported, not {patch}")
        for document in yaml.safe_load_all((directory / patch["path"]).read_text()):
            target = find(objects, document["kind"], document["metadata"]["name"])
            if target is None:
                raise KustomizeError(f"{patch['path']}: no {document['kind']} {document['metadata']['name']} to patch")
            strategic_merge(target, document)

    for image in kustomization.get("images", []):
        set_image(objects, image)

    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] == "Namespace":
                obj["metadata"]["name"] = kustomization["namespace"]
            elif obj["kind"] not in CLUSTER_SCOPED_KINDS:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects


def find(objects: list[dict], kind: str, name: str) -> dict | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def env_file(path: Path) -> dict[str, str]:
    """kustomize's reading of an `envs` file: `KEY=value` lines, whole-line `#` comments."""
    data = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not ENV_NAME.match(key):
            raise KustomizeError(f"{path}:{number}: not a KEY=value line: {line!r}")
        if key in data:
            raise KustomizeError(f"{path}:{number}: {key} is set twice")
        data[key] = value
    return data


def generate(directory: Path, kind: str, generator: dict, objects: list[dict]) -> None:
    unsupported = set(generator) - GENERATOR_FIELDS
    if unsupported:
        raise KustomizeError(f"{directory}: generator {generator['name']} uses {sorted(unsupported)}")
    data: dict[str, str] = {}
    for name in generator.get("envs", []):
        path = directory / name
        if not path.is_file():
            raise KustomizeError(f"{directory}: the envs file {name} of {kind} {generator['name']} does not exist")
        data.update(env_file(path))
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value

    behavior = generator.get("behavior", "create")
    existing = find(objects, kind, generator["name"])
    if behavior == "create":
        if existing is not None:
            raise KustomizeError(f"{directory}: {kind} {generator['name']} exists; behavior must be merge or replace")
        obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
        if kind == "Secret":
            obj["type"] = "Opaque"
        objects.append(obj)
        existing = obj
    elif existing is None:
        raise KustomizeError(f"{directory}: no {kind} {generator['name']} to {behavior}")
    elif behavior == "replace":
        existing["data"] = {}
    elif behavior != "merge":
        raise KustomizeError(f"{directory}: unknown behavior {behavior!r}")
    if kind == "Secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    existing.setdefault("data", {}).update(data)


def strategic_merge(target: dict, patch: dict) -> None:
    for key, value in patch.items():
        if key.startswith("$"):
            raise KustomizeError(f"the patch directive {key} is not supported")
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            strategic_merge(target[key], value)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(target.get(key), list):
            merge_key = MERGE_KEYS[key]
            for item in value:
                match = next((t for t in target[key] if t.get(merge_key) == item.get(merge_key)), None)
                if match is None:
                    target[key].append(copy.deepcopy(item))
                else:
                    strategic_merge(match, item)
        else:
            target[key] = copy.deepcopy(value)


def pod_spec(obj: dict) -> dict | None:
    """The pod spec of a workload (Deployment, Job, StatefulSet, DaemonSet, CronJob)."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec")


def set_image(objects: list[dict], image: dict) -> None:
    for obj in objects:
        spec = pod_spec(obj)
        for container in (spec or {}).get("containers", []) + (spec or {}).get("initContainers", []):
            name, tag = split_image(container["image"])
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"


def split_image(reference: str) -> tuple[str, str]:
    """`registry:5000/name:tag` → (`registry:5000/name`, `tag`); no tag → ''."""
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return reference, ""
    return name, tag
