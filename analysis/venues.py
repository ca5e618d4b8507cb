"""The conference an arXiv paper went to, read from its ``comment`` and ``journal_ref``.

Authors write the venue in free text: "Accepted at CVPR 2019", "NeurIPS 2020 camera-ready",
"Proceedings of the 37th International Conference on Machine Learning", "ICCV'23 workshop".
:func:`venue_of` finds mentions of 20 major ML conferences, reads the edition's year next to the
mention (or a year stated elsewhere, or the paper's first-version year when the text says the
paper was accepted), and keeps only mentions that say this paper is (to be) published there:
"submitted to", "under review at", "rejected from", "extended version of our X paper" and the
Findings volumes of ACL/EMNLP/NAACL are not the venue. Workshops, symposia, challenges and side
tracks held with a conference come back with ``workshop=True``. The rules, and how well they do
on real comments, are in the README (the report section, "By conference").

Every input is cut at :data:`MAX_CHARS` and at most :data:`MAX_MENTIONS` mentions are weighed,
so the time is linear in the text and bounded; no string makes it raise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The conferences, in the order the report lists them (vision, learning, language, then the rest).
VENUES: tuple[str, ...] = (
    "CVPR", "ICCV", "ECCV", "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "NAACL", "AAAI",
    "IJCAI", "KDD", "WACV", "BMVC", "CoRL", "ICRA", "IROS", "Interspeech", "ICASSP", "MICCAI",
)

MAX_CHARS = 4096  # a field longer than this is cut: real comments are a few hundred characters
MAX_MENTIONS = 32  # venue mentions weighed per field; the rest are ignored
_WINDOW = 48  # characters looked at on either side of a mention for its year, cues, ordinal

# Year of the first edition minus one, for the conferences that number their editions
# ("the 37th International Conference on Machine Learning" is ICML 2020). ECCV is biennial.
_ORDINAL_BASE: dict[str, int] = {
    "ICML": 1983, "NeurIPS": 1986, "ICLR": 2012, "AAAI": 1986, "ACL": 1962, "KDD": 1994,
    "MICCAI": 1997, "IJCAI": 1991, "CoRL": 2016, "Interspeech": 1999, "BMVC": 1989,
}


# Year of each conference's first edition (under its present name): an earlier year is a
# misreading ("the 1st NeurIPS Workshop" is not NeurIPS 1987).
_FIRST_YEAR: dict[str, int] = {
    "CVPR": 1983, "ICCV": 1987, "ECCV": 1990, "NeurIPS": 1987, "ICML": 1984, "ICLR": 2013,
    "ACL": 1963, "EMNLP": 1996, "NAACL": 2000, "AAAI": 1980, "IJCAI": 1969, "KDD": 1995,
    "WACV": 1992, "BMVC": 1990, "CoRL": 2017, "ICRA": 1984, "IROS": 1988, "Interspeech": 2000,
    "ICASSP": 1976, "MICCAI": 1998,
}


@dataclass(frozen=True)
class Venue:
    """A paper's conference: canonical ``name`` (one of :data:`VENUES`), edition ``year``,
    whether it is a workshop (or symposium, challenge, side track) held with it, and ``seen``,
    the piece of text it was read from (feeding ``seen`` back gives the same venue)."""

    name: str
    year: int
    workshop: bool
    seen: str


_B = r"(?<![A-Za-z0-9])"  # no letter or digit before an acronym
_E = r"(?![A-Za-z])"  # no letter after it (digits may follow: "CVPR2019")

# (canonical name, pattern). Acronyms may carry a "W" (CVPRW) and a joint partner
# (ACL-IJCNLP, NAACL-HLT, IJCAI-ECAI); full names exclude the look-alike conferences.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("CVPR", _B + r"CVPR(?P<w0>W)?" + _E),
    ("CVPR", r"Conference\s+on\s+Computer\s+Vision\s+and\s+Pattern\s+Recognition"
             r"|Computer\s+Vision\s+and\s+Pattern\s+Recognition\s+Conference"),
    ("ICCV", _B + r"ICCV(?P<w1>W)?" + _E),
    ("ICCV", r"International\s+Conference\s+on\s+Computer\s+Vision(?!\s+(?:and|&|Systems|Theor"
             r"|Applications|Technolog|Image|Imaging|Graphics|Based|for)\b)"),
    ("ECCV", _B + r"ECCV(?P<w2>W)?" + _E),
    ("ECCV", r"European\s+Conference\s+on\s+Computer\s+Vision"),
    ("NeurIPS", _B + r"(?:Neur\s?IPS|NIPS)(?P<w3>W)?" + _E),
    ("NeurIPS", r"Neural\s+Information\s+Processing\s+Systems"),
    ("ICML", _B + r"ICML(?P<w4>W)?" + _E),
    ("ICML", r"International\s+Conference\s+on\s+Machine\s+Learning(?!\s*(?:and|&|,\s*Optimi"
             r"|Applications|Technolog|for|in|Systems|Cybernetics|Computing)\b)"),
    ("ICLR", _B + r"ICLR" + _E),
    ("ICLR", r"International\s+Conference\s+on\s+Learning\s+Representations"),
    ("ACL", _B + r"(?-i:ACL)(?!\s*(?:ARR|Rolling|Anthology)\b)" + _E),
    ("ACL", r"Annual\s+Meeting\s+of\s+the\s+(?:Association\s+for\s+Computational\s+Linguistics"
            r"|ACL)"),
    ("EMNLP", _B + r"EMNLP" + _E),
    ("EMNLP", r"Empirical\s+Methods\s+in\s+Natural\s+Language\s+Processing"),
    ("NAACL", _B + r"NAACL" + _E),
    ("NAACL", r"North\s+American\s+Chapter\s+of\s+the\s+(?:Association\s+for\s+Computational"
              r"\s+Linguistics|ACL)"),
    # Not AIES (AAAI/ACM), ICWSM ("International AAAI Conference on Web..."), HCOMP, AIIDE.
    ("AAAI", _B + r"(?<!International\s)AAAI(?!\s*[/-]\s*(?:ACM|HCOMP)\b)"
             r"(?!\s+Conference\s+on\s+(?!Artificial\s+Intelligence\b(?!\s+and\s+Interactive)))"
             + _E),
    ("IJCAI", _B + r"IJCAI" + _E),
    ("IJCAI", r"International\s+Joint\s+Conference\s+on\s+Artificial\s+Intelligence"),
    ("KDD", _B + r"(?:ACM\s+)?(?:SIG)?KDD" + _E),
    ("KDD", r"(?<!Pacific-Asia\s)(?<!Pacific\sAsia\s)Conference\s+on\s+Knowledge\s+Discovery"
            r"\s+(?:and|&)\s+Data\s+Mining"),
    ("WACV", _B + r"WACV(?P<w5>W)?" + _E),
    ("WACV", r"Winter\s+Conference\s+on\s+Applications\s+of\s+Computer\s+Vision"),
    ("BMVC", _B + r"BMVC" + _E),
    ("BMVC", r"British\s+Machine\s+Vision\s+Conference"),
    ("CoRL", _B + r"CoRL" + _E),
    ("CoRL", r"Conference\s+on\s+Robot\s+Learning"),
    ("ICRA", _B + r"ICRA" + _E),
    ("ICRA", r"International\s+Conference\s+on\s+Robotics\s+and\s+Automation"
             r"(?!\s+(?:Engineering|Sciences?)\b)"),
    ("IROS", _B + r"IROS" + _E),
    ("IROS", r"International\s+Conference\s+on\s+Intelligent\s+Robots\s+and\s+Systems"),
    ("Interspeech", _B + r"Inter\s?speech" + _E),
    ("Interspeech", r"Annual\s+Conference\s+of\s+the\s+International\s+Speech\s+Communication"
                    r"\s+Association"),
    ("ICASSP", _B + r"ICASSP" + _E),
    ("ICASSP", r"International\s+Conference\s+on\s+Acoustics,?\s+Speech,?\s+(?:and|&)\s+Signal"
               r"\s+Processing"),
    ("MICCAI", _B + r"MICCAI" + _E),
    ("MICCAI", r"Medical\s+Image\s+Computing\s+and\s+Computer[\s-]+Assisted\s+Intervention"),
)
_GROUPS = [f"v{i}" for i in range(len(_PATTERNS))]
_MENTION = re.compile(
    "|".join(f"(?P<{g}>{p})" for g, (_, p) in zip(_GROUPS, _PATTERNS, strict=True)),
    re.IGNORECASE,
)
_NAME_OF = {g: name for g, (name, _) in zip(_GROUPS, _PATTERNS, strict=True)}
_W_GROUPS = tuple(g for g in _MENTION.groupindex if g.startswith("w"))
_FULL_NAMES = {g for g, (_, p) in zip(_GROUPS, _PATTERNS, strict=True) if not p.startswith(_B)}

# Right after an acronym: a joint partner, "Workshop(s)", then the year ("CVPR 2019",
# "CVPR'19", "AAAI-20", "WACV26", "NeurIPS, 2020", "IJCAI-PRICAI-20", "CVPR Workshops 2025").
_AFTER = re.compile(
    r"(?:[-/ ](?:IJCNLP|HLT|ECAI|PRICAI|COLING)(?![A-Za-z]))?"
    r"(?P<ws>\s+Workshops?)?"
    r"(?:[\s,-]*\(?\s*(?P<y4>(?:19[89]|20\d)\d)(?!\d)"
    r"|\s?['’‘`]\s?(?P<y2a>\d\d)(?!\d)"
    r"|-?(?P<y2b>\d\d)(?![\dA-Za-z]))",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w./-])(?:19[89]\d|20\d\d)(?![\w]|\.\d)")
_WORDS = re.compile(r"[A-Za-z0-9']+(?:[/-][A-Za-z0-9]+)*")
# Words that may sit between a year or ordinal and the conference's name.
_GLUE = {"ieee", "cvf", "ieee/cvf", "ieee/rsj", "rsj", "acm", "acm/sigapp", "sigkdd", "isca",
         "annual", "international", "the", "of", "on", "conference", "joint", "proceedings"}

# Cues. Positive: the text says the paper is published there. Status negatives (submitted,
# under review, rejected) hold until a positive cue; reference negatives ("extended version of
# our X paper", "extension of") hold for the rest of the clause: the venue is another paper's.
_POSITIVE = re.compile(
    r"\b(?:accept(?:ed|ance)?|to\s+appear|appear(?:s|ed|ing)?\s+(?:in|at|on)|published"
    r"|presented|publication|camera[\s-]?ready|proceedings|oral|spotlight|poster"
    r"|will\s+(?:be\s+)?(?:appear|present))\b",
    re.IGNORECASE,
)
_NEG_STATUS = re.compile(
    r"\b(?:submitted|submission|submitting|under\s+(?:review|submission|revision)|in\s+review"
    r"|rejected|withdrawn)\b",
    re.IGNORECASE,
)
_NEG_REF = re.compile(
    r"\b(?:(?:extended|long|longer|journal|conference|preliminary|earlier|short|shorter"
    r"|previous|workshop)\s+version\s+of|extension\s+of|extends|journal\s+(?:version|extension)"
    r"|reproduc\w*|re-?implementation\s+of|follow[\s-]?up\s+(?:of|to|on))\b"
    r"|\b(?:preliminary|earlier|previous|shorter|conference)\s+version\b",
    re.IGNORECASE,
)
_WORKSHOP = re.compile(
    r"\b(?:workshops?|symposi(?:um|a)|challenges?|competition|shared\s+tasks?|SRW"
    r"|student\s+research|doctoral\s+consortium|tutorials?|blog[\s-]?post|tiny\s+papers?"
    r"|creative\s+ai|satellite|cup)\b",
    re.IGNORECASE,
)
_FINDINGS = re.compile(r"\bfindings\b", re.IGNORECASE)
# Status words just after a mention ("INTERSPEECH 2025 accepted", "NAACL short paper").
_TRAIL_POS = {"accepted", "accept", "oral", "spotlight", "poster", "highlight", "camera-ready",
              "camera", "paper", "proceedings", "main", "long", "short", "full"}
_TRAIL_NEG = {"submission", "submitted", "review", "rejected", "withdrawn"}

_URL = re.compile(r"(?:https?://|www\.)\S*|\S+\.github\.io\S*|<[^<>]{0,400}>", re.IGNORECASE)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-"})
_ABBREV = {"proc", "conf", "int", "intl", "vol", "no", "pp", "symp", "assoc", "comput", "ling",
           "al", "eg", "ie", "vs", "cf", "fig", "eq", "sec", "dept", "univ", "jan", "feb", "mar",
           "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "st", "ed", "eds"}
_SENTENCE = re.compile(r"[.!?]\s+(?=[A-Z0-9(\[\"'])")
_ORDINAL_NUM = re.compile(r"^(\d{1,3})(?:st|nd|rd|th)$", re.IGNORECASE)
_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
          "seventh": 7, "eighth": 8, "ninth": 9}
_TEENS = {"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
          "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
          "nineteenth": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_TENTHS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
           "seventieth": 70, "eightieth": 80, "ninetieth": 90}


@dataclass
class _Mention:
    name: str
    start: int
    end: int
    full: bool = False  # the full name, not the acronym
    year: int | None = None
    year_span: tuple[int, int] | None = None
    workshop: bool = False
    workshop_span: tuple[int, int] | None = None
    findings: bool = False
    negative: bool = False
    cue_span: tuple[int, int] | None = None  # the positive cue that applies, if any


def _normalize(text: str) -> str:
    """Cut, fold look-alike characters, drop URLs and HTML tags (a repository named
    "cvpr2019-code" is not a venue), keep line breaks (they end clauses), squeeze spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_QUOTES)
    text = _URL.sub(" ", text)
    text = re.sub(r"[^\S\n]+", " ", text)
    return re.sub(r" ?\n[\s]*", "\n", text).strip()


def _clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses: split at line breaks, ``;``, ``|`` and sentence ends (not after
    an abbreviation such as "Proc." or an initial)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for piece in re.finditer(r"[^;\n|]+", text):
        start = piece.start()
        for end in _SENTENCE.finditer(text, piece.start(), piece.end()):
            word = re.search(r"(\w+)$", text[max(piece.start(), end.start() - 12):end.start()])
            if word and (len(word.group(1)) == 1 or word.group(1).lower() in _ABBREV):
                continue
            spans.append((start, end.start() + 1))
            start = end.end()
        spans.append((start, piece.end()))
    return [(s, e) for s, e in spans if e > s]


def _two_digit(value: str) -> int:
    n = int(value)
    return 1900 + n if n >= 80 else 2000 + n


def _ordinal(word: str) -> int | None:
    """The number an ordinal stands for: "37th", "Thirty-Fourth", "Ninth"; else None."""
    num = _ORDINAL_NUM.match(word)
    if num:
        return int(num.group(1))
    low = word.lower()
    if low in _UNITS or low in _TEENS or low in _TENTHS:
        return _UNITS.get(low) or _TEENS.get(low) or _TENTHS[low]
    tens, _, unit = low.partition("-")
    if tens in _TENS and unit in _UNITS:
        return _TENS[tens] + _UNITS[unit]
    return None


def _year_before(text: str, m: _Mention, lo: int, taken: set[tuple[int, int]]) -> None:
    """A year or an edition number written before the name: "2021 IEEE/CVF Conference on...",
    "the 37th International Conference on Machine Learning", "Thirty-Fourth AAAI Conference"."""
    left = text[max(lo, m.start - _WINDOW):m.start]
    offset = max(lo, m.start - _WINDOW)
    for word in reversed(list(_WORDS.finditer(left))):
        token = word.group(0)
        if token.lower() in _GLUE:
            continue
        span = (offset + word.start(), offset + word.end())
        if span in taken:  # the year written after the previous venue ("ICCV/CVPR 2000/...")
            return
        if _YEAR.fullmatch(token):
            m.year, m.year_span = int(token), span
        else:
            number = _ordinal(token)
            base = _ORDINAL_BASE.get(m.name)
            # An edition number goes with the full name or "AAAI Conference", not with an
            # acronym alone: "the 1st NeurIPS Workshop" numbers the workshop.
            if not m.full and not text[m.end:m.end + 12].lower().lstrip().startswith("conf"):
                return
            if m.name == "ECCV" and number:
                year = 2020 + 2 * (number - 16)
            elif number and base and not (m.name == "IJCAI" and number < 24):
                year = base + number
            else:
                return
            m.year, m.year_span = year, span
        return


def _year_after(text: str, m: _Mention, hi: int) -> None:
    """The year written right after the name, and "Workshops" between them."""
    after = _AFTER.match(text, m.end, hi)
    if not after:
        return
    for key in ("y4", "y2a", "y2b"):
        value = after.group(key)
        if value:
            m.year = int(value) if key == "y4" else _two_digit(value)
            m.year_span = (after.start(key), after.end(key))
            if after.group("ws"):
                m.workshop, m.workshop_span = True, (after.start("ws"), after.end("ws"))
            return


def _mentions(text: str, lo: int, hi: int) -> list[_Mention]:
    """The venue mentions of one clause, each with the year written next to it."""
    found: list[_Mention] = []
    for match in _MENTION.finditer(text, lo, hi):
        group = match.lastgroup or ""
        m = _Mention(_NAME_OF.get(group, ""), match.start(), match.end(), group in _FULL_NAMES)
        if any(match.group(g) for g in _W_GROUPS):  # CVPRW, ICCVW...
            m.workshop, m.workshop_span = True, (match.start(), match.end())
        _year_after(text, m, hi)
        if m.year is None:
            _year_before(text, m, lo, {f.year_span for f in found if f.year_span})
        found.append(m)
        if len(found) >= MAX_MENTIONS:
            break
    return [m for m in found if m.name]


def _nearest(spans: list[tuple[int, int]], target: tuple[int, int]) -> int:
    """Index of the span closest to ``target`` (ties go to the first)."""
    def gap(span: tuple[int, int]) -> int:
        return max(0, span[0] - target[1], target[0] - span[1])
    return min(range(len(spans)), key=lambda i: gap(spans[i]))


def _attach_words(text: str, lo: int, hi: int, found: list[_Mention]) -> None:
    """Workshop and Findings words belong to the nearest mention of their clause."""
    spans = [(m.start, m.end) for m in found]
    for word in _WORKSHOP.finditer(text, lo, hi):
        m = found[_nearest(spans, (word.start(), word.end()))]
        if not m.workshop:
            m.workshop, m.workshop_span = True, (word.start(), word.end())
    for word in _FINDINGS.finditer(text, lo, hi):
        found[_nearest(spans, (word.start(), word.end()))].findings = True


def _trailing(text: str, m: _Mention, hi: int) -> tuple[bool, tuple[int, int] | None]:
    """Whether the words right after a mention deny it ("ICLR 2021 submission"), and the span
    of one that confirms it ("INTERSPEECH 2025 accepted", "NAACL short paper")."""
    right = text[m.end:min(hi, m.end + 30)]
    words = [(w.group(0).lower(), w.start()) for w in _WORDS.finditer(right)][:4]
    if any(w in _TRAIL_NEG for w, _ in words):
        return True, None
    for w, at in words:
        if w in _TRAIL_POS:
            return False, (m.end + at, m.end + at + len(w))
    return False, None


def _apply_cues(text: str, lo: int, hi: int, found: list[_Mention]) -> None:
    """Mark each mention denied or confirmed by the cues before it in its clause (a status
    negative holds until a positive cue, a reference negative for the rest of the clause) and
    by the words right after it."""
    events = sorted((e.start(), kind, (e.start(), e.end()))
                    for kind, rx in (("pos", _POSITIVE), ("neg", _NEG_STATUS), ("ref", _NEG_REF))
                    for e in rx.finditer(text, lo, hi))
    state: str | None = None
    cue: tuple[int, int] | None = None
    referenced = False
    i = 0
    for m in found:
        while i < len(events) and events[i][0] < m.start:
            _, kind, span = events[i]
            referenced = referenced or kind == "ref"
            if kind != "ref":
                state, cue = kind, span
            i += 1
        denied, trail_cue = _trailing(text, m, hi)
        m.negative = referenced or state == "neg" or denied
        if not m.negative:
            m.cue_span = cue if state == "pos" else trail_cue


def _merge(found: list[_Mention]) -> None:
    """The same venue named twice in a clause ("ICML 2025 (International Conference on Machine
    Learning)") is one mention: a mention without a year takes its twin's, then twins of the
    same year share the workshop flag and Findings. Denied mentions stay apart."""
    live = [m for m in found if not m.negative]
    for a in live:
        if a.year is None:
            twin = next((b for b in live if b.name == a.name and b.year is not None), None)
            if twin:
                a.year, a.year_span = twin.year, twin.year_span
    for a in live:
        twins = [b for b in live if b.name == a.name and b.year == a.year]
        a.findings = any(b.findings for b in twins)
        marked = next((b for b in twins if b.workshop), None)
        if marked and not a.workshop:
            a.workshop, a.workshop_span = True, marked.workshop_span


def _free_years(text: str, found: list[_Mention]) -> list[tuple[int, int]]:
    """Year tokens of ``text`` that are not already the year written next to a mention."""
    taken = {m.year_span for m in found if m.year_span}
    return [(y.start(), y.end()) for y in _YEAR.finditer(text) if (y.start(), y.end()) not in taken]


def _collect(text: str) -> list[_Mention]:
    """Every mention of the field, clause by clause, with cues, words and duplicates settled."""
    found: list[_Mention] = []
    for lo, hi in _clauses(text):
        clause = _mentions(text, lo, hi)
        if clause:
            _attach_words(text, lo, hi, clause)
            _apply_cues(text, lo, hi, clause)
            _merge(clause)
            found += clause
        if len(found) >= MAX_MENTIONS:
            break
    return found


def _resolve_years(text: str, found: list[_Mention], published_year: int | None
                   ) -> list[_Mention]:
    """The usable mentions with a year: their own, else the nearest free year of the field,
    else ``published_year`` when the text confirms the paper is accepted there."""
    usable = [m for m in found if not m.negative and not m.findings]
    free = _free_years(text, found) if usable else []
    for m in usable:
        if m.year is not None and not _plausible(m.name, m.year, published_year):
            m.year, m.year_span = None, None
        if m.year is None and free:
            span = free[_nearest(free, (m.start, m.end))]
            m.year, m.year_span = int(text[span[0]:span[1]]), span
        if m.year is None and published_year is not None and m.cue_span:
            m.year = published_year
    return [m for m in usable if m.year is not None and _plausible(m.name, m.year, None)]


def _plausible(name: str, year: int, published_year: int | None) -> bool:
    """Not before the conference's first edition nor after 2099, and when the paper's first
    version is dated, within ten years before it and four after (revised papers)."""
    if not _FIRST_YEAR[name] <= year <= 2099:
        return False
    return published_year is None or published_year - 10 <= year <= published_year + 4


def _field_venue(text: str, published_year: int | None) -> Venue | None:
    """The venue one field (comment or journal_ref) states, or None: of the usable mentions,
    a confirmed one first, then a main conference, then the first."""
    if not _MENTION.search(text):  # most comments name no venue: one scan and out
        return None
    usable = _resolve_years(text, _collect(text), published_year)
    if not usable:
        return None
    best = min(usable, key=lambda m: (m.cue_span is None, m.workshop, m.start))
    parts = [(best.start, best.end)]
    parts += [span for span in (best.year_span, best.workshop_span) if span]
    if best.cue_span and best.year_span is None:
        parts.append(best.cue_span)
    return Venue(best.name, int(best.year or 0), best.workshop,
                 text[min(p[0] for p in parts):max(p[1] for p in parts)])


def _read(text: str, published_year: int | None) -> Venue | None:
    """:func:`_field_venue`, with a ``seen`` that reads back to itself: the phrase around the
    mention, narrowed until reading it gives the same phrase, or the whole field when reading
    the phrase alone would give another venue."""
    found = _field_venue(text, published_year)
    if found is None:
        return None
    seen = found.seen
    for _ in range(8):
        if seen == text:
            break
        again = _field_venue(seen, published_year)
        if again is None or (again.name, again.year, again.workshop) != (
                found.name, found.year, found.workshop):
            seen = text
            break
        if again.seen == seen:
            break
        seen = again.seen
    else:
        seen = text
    return Venue(found.name, found.year, found.workshop, seen)


def venue_of(comment: str | None, journal_ref: str | None,
             published_year: int | None = None) -> Venue | None:
    """The listed conference a paper says it went to, or None.

    ``journal_ref`` is read first (it records a publication); then ``comment``. When no year
    is written, one stated elsewhere in the same field is used, else ``published_year`` (the
    first version's year) if the text says accepted / to appear / published. Never raises.
    """
    year = published_year if isinstance(published_year, int) else None
    for value in (journal_ref, comment):
        if not isinstance(value, str) or not value.strip():
            continue
        found = _read(_normalize(value), year)
        if found:
            return found
    return None
