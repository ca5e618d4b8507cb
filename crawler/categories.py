"""arXiv's category taxonomy, for validating ``--categories`` before any request is sent.

A category is ``archive`` or ``archive.SUBJECT`` (``cs.LG``, ``stat.ML``, ``math.OC``,
``q-bio.NC``, ``eess.IV``, ``physics.data-an``, ``hep-th``) and must be one of arXiv's current
categories (https://arxiv.org/category_taxonomy): a typo would otherwise match nothing and the
crawl would "succeed" with zero papers. Case is normalised (``cs.lg`` -> ``cs.LG``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from survey.core.errors import InputError

# The documented form: archive (lower case, hyphens) optionally followed by .subject.
CATEGORY_PATTERN = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?$")

_TAXONOMY = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA "
          "NE NI OH OS PF PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA "
            "RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
               "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph "
               "soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives that are categories on their own.
_PLAIN = ("astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
          "nlin", "nucl-ex", "nucl-th", "quant-ph")

KNOWN_CATEGORIES: frozenset[str] = frozenset(
    [f"{archive}.{subject}" for archive, subjects in _TAXONOMY.items()
     for subject in subjects.split()] + list(_PLAIN)
)
_BY_LOWER = {c.lower(): c for c in KNOWN_CATEGORIES}


def validate_categories(categories: Iterable[str]) -> tuple[str, ...]:
    """Canonical, deduplicated categories in the given order; ``InputError`` for any unknown."""
    out: list[str] = []
    for raw in categories:
        name = raw.strip()
        if not name:
            continue
        canonical = _BY_LOWER.get(name.lower())
        if canonical is None:
            shown = name if len(name) <= 40 else name[:40] + "..."
            if not CATEGORY_PATTERN.match(name):
                raise InputError(
                    f"invalid category {shown!r}: expected arXiv's archive.subject form,"
                    " e.g. cs.LG, stat.ML, q-bio.NC, physics.data-an"
                )
            close = difflib.get_close_matches(name, sorted(KNOWN_CATEGORIES), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise InputError(f"unknown arXiv category {shown!r}{hint}")
        if canonical not in out:
            out.append(canonical)
    if not out:
        raise InputError("no categories given")
    return tuple(out)


def category_key(categories: Iterable[str]) -> str:
    """The sorted, space separated set that keys harvest windows."""
    return " ".join(sorted(set(categories)))
