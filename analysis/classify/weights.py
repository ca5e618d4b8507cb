"""The classifier's numbers, read from ``weights.yaml`` beside this module.

Weights live in a data file so a reviewer reads every number in one place and a change to one is
a one-line diff; :func:`load_weights` refuses a file with a missing or an unknown key, so the
file and the code cannot drift apart. :meth:`Weights.scaled` gives a copy with one number scaled
(the sensitivity check of ``benchmarks/classifier_eval.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, TypeVar

import yaml

from survey.core.vocab import Place


@dataclass(frozen=True)
class Decision:
    main_threshold: float
    min_main_share: float
    min_share_files: int
    aux_threshold: float
    aux_over_main: float
    aux_per_main_file: float
    prior_factor: float
    path_cap: float
    manifest_threshold: float


@dataclass(frozen=True)
class Languages:
    lua_require: float
    lua_unread: float
    julia_using: float
    matlab_call: float
    cpp_include: float
    java_import: float
    prototxt: float
    jvm_build: float


@dataclass(frozen=True)
class Confidence:
    floor: float
    rise: float
    scale: float
    examples: float
    file_names: float
    file_names_cap: float
    manifests: float
    manifests_cap: float
    unread: float
    none_base: float
    none_rise: float
    none_scale: float
    none_signal: float
    none_unread: float


@dataclass(frozen=True)
class Weights:
    decision: Decision
    location: Mapping[str, float]
    model_file_factor: float
    notebook_factor: float
    context: Mapping[str, float]
    util_only: float
    data_only: float
    section: Mapping[str, float]
    languages: Languages
    confidence: Confidence

    def where(self, place: Place) -> float:
        """The weight of a file's location."""
        return self.location[place]

    def scaled(self, name: str, factor: float) -> Weights:
        """A copy with the number ``name`` (``decision.prior_factor``, ``location.tests``,
        ``notebook_factor``) multiplied by ``factor``."""
        head, _, key = name.partition(".")
        value = getattr(self, head)
        changed: dict[str, Any]
        if not key:
            changed = {head: value * factor}
        elif isinstance(value, Mapping):
            if key not in value:
                raise KeyError(name)
            changed = {head: MappingProxyType({**value, key: value[key] * factor})}
        else:
            changed = {head: dataclasses.replace(value, **{key: getattr(value, key) * factor})}
        return dataclasses.replace(self, **changed)


T = TypeVar("T")


def _section(cls: type[T], raw: Any, name: str) -> T:
    if not isinstance(raw, dict):
        raise ValueError(f"weights.yaml: {name} is not a mapping")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if set(raw) != names:
        raise ValueError(f"weights.yaml: {name}: missing {sorted(names - set(raw))}, "
                         f"unknown {sorted(set(raw) - names)}")
    return cls(**raw)


def _numbers(raw: Any, name: str, keys: set[str]) -> Mapping[str, float]:
    if not isinstance(raw, dict) or set(raw) != keys:
        raise ValueError(f"weights.yaml: {name} must give exactly {sorted(keys)}")
    return MappingProxyType({str(k): float(v) for k, v in raw.items()})


def parse_weights(text: str) -> Weights:
    """Weights from the YAML text; ValueError for a missing, unknown or misspelt key."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ValueError("weights.yaml: not a mapping")
    top = {f.name for f in dataclasses.fields(Weights)}
    if set(raw) != top:
        raise ValueError(f"weights.yaml: missing {sorted(top - set(raw))}, "
                         f"unknown {sorted(set(raw) - top)}")
    return Weights(
        decision=_section(Decision, raw["decision"], "decision"),
        location=_numbers(raw["location"], "location", {str(p) for p in Place}),
        model_file_factor=float(raw["model_file_factor"]),
        notebook_factor=float(raw["notebook_factor"]),
        context=_numbers(raw["context"], "context", {"top", "lazy", "optional", "typing"}),
        util_only=float(raw["util_only"]),
        data_only=float(raw["data_only"]),
        section=_numbers(raw["section"], "section", {"main", "optional", "dev"}),
        languages=_section(Languages, raw["languages"], "languages"),
        confidence=_section(Confidence, raw["confidence"], "confidence"),
    )


@cache
def load_weights() -> Weights:
    """The weights shipped with the package (read once per process)."""
    text = resources.files("analysis.classify").joinpath("weights.yaml").read_text("utf-8")
    return parse_weights(text)
