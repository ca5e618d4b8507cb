"""From the tally to scores by label: Keras resolved to its backend, code, examples and prior.

Keras counts for the backend the repository selects (``KERAS_BACKEND`` outside tests,
``keras.json``); Keras with Theano and without TensorFlow counts as Theano (``other``); otherwise
TensorFlow, for Keras 2 and Keras 3 alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from analysis.classify.tally import Tally
from analysis.frameworks import label_of
from survey.core.vocab import LABELS

KERAS_BACKEND_LABEL = {"tensorflow": "tensorflow", "jax": "jax", "torch": "pytorch",
                       "pytorch": "pytorch", "theano": "other", "cntk": "other",
                       "mxnet": "other", "numpy": "tensorflow"}
LABEL_ORDER = [str(label) for label in LABELS]


def order(label: str) -> int:
    """A label's place in the fixed order that breaks exact ties (never hash order)."""
    return LABEL_ORDER.index(label)


@dataclass
class Scores:
    """Specific-framework scores (``main``, ``aux``: code and file names; ``prior``: manifests;
    ``everything``: all three, the prior at its factor) and the same summed by label."""

    main: dict[str, float]
    aux: dict[str, float]
    prior: dict[str, float]
    everything: dict[str, float]
    keras_label: str
    keras_why: str | None
    prior_factor: float

    def __post_init__(self) -> None:
        self.m = self.by_label(self.main)
        self.a = self.by_label(self.aux)
        self.p = self.by_label(self.prior)
        # Sorted, and ties broken by the fixed label order: never by set or hash order.
        self.labels = sorted(set(self.m) | set(self.a) | set(self.p), key=order)

    def label(self, framework: str) -> str:
        return self.keras_label if framework == "keras" else label_of(framework)

    def by_label(self, scores: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for framework, score in scores.items():
            out[self.label(framework)] += score
        return out

    def total(self, label: str) -> float:
        return self.m.get(label, 0.0) + self.a.get(label, 0.0) + \
            self.prior_factor * self.p.get(label, 0.0)

    def content(self, tally: Tally) -> dict[str, float]:
        """By label, only what code that was read showed (no file names, no manifests)."""
        read: dict[str, float] = defaultdict(float)
        for bucket in (tally.code["main"], tally.code["aux"]):
            for framework, score in bucket.items():
                read[framework] += score
        return self.by_label(read)


def keras_backend(tally: Tally, scores: dict[str, float]) -> tuple[str, str] | None:
    """(backend, why) for Keras code, None when there is no Keras."""
    if scores.get("keras", 0.0) <= 0:
        return None
    if tally.backends:
        # By path and line, so the verdict does not depend on the order files were read in.
        ordered = sorted(tally.backends)
        backend = Counter(b for _, _, b in ordered).most_common(1)[0][0]
        path, line, _ = next(t for t in ordered if t[2] == backend)
        return backend, f"KERAS_BACKEND {backend} set in {path}:{line}"
    if scores.get("theano", 0.0) > 0 and scores.get("tensorflow", 0.0) <= 0:
        return "theano", "Keras with Theano and without TensorFlow"
    if tally.keras3:
        return "tensorflow", "Keras 3 with no backend configured: TensorFlow"
    return "tensorflow", "standalone Keras on its default TensorFlow backend"


def scores_of(tally: Tally, prior_factor: float) -> Scores:
    """Combine the tally's buckets and resolve Keras."""
    main = dict(tally.code["main"])
    aux = dict(tally.code["aux"])
    for framework, score in tally.paths["main"].items():
        main[framework] = main.get(framework, 0.0) + score
    for framework, score in tally.paths["aux"].items():
        aux[framework] = aux.get(framework, 0.0) + score
    prior = dict(tally.prior)
    everything: dict[str, float] = defaultdict(float)
    for bucket, factor in ((main, 1.0), (aux, 1.0), (prior, prior_factor)):
        for framework, score in bucket.items():
            everything[framework] += score * factor
    keras = keras_backend(tally, everything)
    keras_label = KERAS_BACKEND_LABEL[keras[0]] if keras else "tensorflow"
    return Scores(main, aux, prior, dict(everything), keras_label,
                  keras[1] if keras else None, prior_factor)
