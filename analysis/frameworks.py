"""Lookups in the one framework table (``framework_table.yaml``).

Keeping every mapping in one documented data file means a new library or a corrected weight is a
one-line change that reviewers can read, instead of a rule buried in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml
from packaging.utils import NormalizedName, canonicalize_name

LABELS = ("pytorch", "tensorflow", "jax", "other", "none", "unknown")


@dataclass(frozen=True, slots=True)
class Hit:
    """A table match: the specific framework, its weight, and its kind (core/build/data/util)."""

    framework: str
    weight: float
    kind: str = "core"


@dataclass(frozen=True)
class Table:
    labels: dict[str, str]
    modules: dict[str, Hit]
    distributions: dict[NormalizedName, Hit]
    distribution_prefixes: tuple[tuple[str, Hit], ...]
    docker_images: tuple[tuple[re.Pattern[str], str], ...]
    index_urls: tuple[tuple[re.Pattern[str], str], ...]
    conda_channels: dict[str, str]
    util_attributes: dict[str, tuple[str, ...]]
    data_attributes: dict[str, tuple[str, ...]]
    class_rules: dict[str, dict[str, Hit]]


def _hit(value: Any) -> Hit:
    framework, weight, *rest = value
    return Hit(str(framework), float(weight), str(rest[0]) if rest else "core")


@cache
def table() -> Table:
    """The parsed table (read once per process)."""
    text = resources.files("analysis").joinpath("framework_table.yaml").read_text("utf-8")
    # libyaml's loader when PyYAML has it: the table is large, and read at every start.
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    labels = {str(k): str(v) for k, v in raw["frameworks"].items()}
    modules = {str(k): _hit(v) for k, v in raw["modules"].items()}
    dists = {canonicalize_name(str(k)): _hit(v) for k, v in raw["distributions"].items()}
    for hit in [*modules.values(), *dists.values()]:
        if hit.framework not in labels:
            raise ValueError(f"framework_table.yaml: unknown framework {hit.framework!r}")
    return Table(
        labels=labels,
        modules=modules,
        distributions=dists,
        distribution_prefixes=tuple(
            (str(k), _hit(v)) for k, v in raw.get("distribution_prefixes", {}).items()
        ),
        docker_images=tuple((re.compile(p, re.I), f) for p, f in raw["docker_images"]),
        index_urls=tuple((re.compile(p, re.I), f) for p, f in raw["index_urls"]),
        conda_channels={str(k).lower(): str(v) for k, v in raw["conda_channels"].items()},
        util_attributes={k: tuple(v) for k, v in raw["util_attributes"].items()},
        data_attributes={k: tuple(v) for k, v in raw["data_attributes"].items()},
        class_rules={lib: {prefix: _hit(v) for prefix, v in rules.items()}
                     for lib, rules in raw.get("class_rules", {}).items()},
    )


def label_of(framework: str) -> str:
    """The DESIGN.md label of a specific framework (``flax`` -> ``jax``)."""
    return table().labels.get(framework, "other")


@lru_cache(maxsize=65536)
def module_hit(module: str) -> Hit | None:
    """The entry of the longest dotted prefix of ``module`` (``torch.nn.functional`` ->
    ``torch.nn``), or None for a module that says nothing about a framework."""
    tab = table()
    parts = module.split(".")
    found = None
    for end in range(len(parts), 0, -1):
        found = tab.modules.get(".".join(parts[:end]))
        if found is not None:
            break
    if len(parts) >= 2 and parts[0] in tab.class_rules:
        return _class_hit(tab.class_rules[parts[0]], parts[-1]) or found
    return found


_MODEL_CLASS = re.compile(r"Model|For[A-Z]|Trainer")


def _class_hit(rules: dict[str, Hit], name: str) -> Hit | None:
    """The backend a model class of a multi-backend library names (``TFBertModel``)."""
    if not name[:1].isupper() or not _MODEL_CLASS.search(name):
        return None
    for prefix, hit in rules.items():
        if prefix != "default" and name.startswith(prefix) and name[len(prefix):][:1].isupper():
            return hit
    return rules.get("default")


@lru_cache(maxsize=16384)
def distribution_hit(name: str) -> Hit | None:
    """The entry of a package name from any manifest (pip or conda spelling)."""
    canon = canonicalize_name(name)
    tab = table()
    hit = tab.distributions.get(canon)
    if hit is not None:
        return hit
    for prefix, phit in tab.distribution_prefixes:
        if canon.startswith(prefix):
            return phit
    return None


def docker_image_framework(image: str) -> str | None:
    """The framework a Docker base image ships (``nvcr.io/nvidia/pytorch:22.10-py3``)."""
    name = image.split("@", 1)[0]
    # Drop the tag (a colon after the last slash; a registry port comes before a slash).
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    for pattern, framework in table().docker_images:
        if pattern.search(name):
            return framework
    return None


def index_url_framework(url: str) -> str | None:
    """The framework whose wheels an index or find-links URL serves (download.pytorch.org)."""
    for pattern, framework in table().index_urls:
        if pattern.search(url):
            return framework
    return None


def conda_channel_framework(channel: str) -> str | None:
    return table().conda_channels.get(channel.strip().lower())


def util_attributes(framework: str) -> tuple[str, ...]:
    """Attribute chains that only log or read files with ``framework`` (``summary``...)."""
    return table().util_attributes.get(framework, ())


def data_attributes(framework: str) -> tuple[str, ...]:
    """Attribute chains that only feed data with ``framework`` (``data``, ``image``, dtypes)."""
    return table().data_attributes.get(framework, ())
