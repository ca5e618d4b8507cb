"""Whether a link is the paper's own code ("official") or someone else's that it mentions.

Why a module of its own: the report's shares count only papers with code of their own, so a
paper that merely uses ``huggingface/transformers`` must not count as writing PyTorch code. The
judgement reads the words around the link (see ``is_official``); ``OfficialModel`` is a small
learned alternative (logistic regression over the same words), measured beside the rules in
``benchmarks/links_official_eval.py``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from crawler.urls import Span, find_spans, has_hint, prepare

__all__ = ["KNOWN_LIBRARIES", "OfficialModel", "context_features", "is_official", "mask",
           "MODEL_FILE", "span_context", "train_model", "verdict"]

# Strong cues that the link is the paper's own code, data, models or page.
_OWN = re.compile(r"""\b(?:
    our(?:\s+[\w-]+){0,2}?\s+(?:code|codes|codebase|implementation|implementations|source|
        software|models?|data|datasets?|library|toolkit|toolbox|framework|project|repository|
        repo|benchmark|demo|tool|package|weights|checkpoints|adapters|system|method|website|
        page|webpage|main\s+project)
  | codes? | source\s+code | implementation | codebase
  | (?:we\s+)?(?:release|released|releasing|publish|published|share|open[-\s]?sourced|
        open[-\s]?sourcing)
  # "open-source" as a verb ("we open-source", "to open source"), not the adjective of "the
  # open-source projects of [A](URL)" or "an open source version of": others' work too
  | (?:we|to|will|shall|and)\s+open[-\s]?source[ds]?
  | will\s+be | upon\s+acceptance
  | project\s+(?:page|website|webpage|site) | web\s?page | website | homepage | demo
  | (?:github|gitlab|models?|data|dataset|weights|samples|videos|leaderboard|source|
        software|repository|repo|paper\s+list|benchmark|code\s+link)\s*:
  | reproduc\w* | clone\s+this | this\s+repo(?:sitory)?
)\b""", re.IGNORECASE | re.VERBOSE)

# Weak cues: the thing is reachable at the link, which says nothing of whose it is ("a public
# dataset, available at"). They count as own only when the sentence has no strong cue.
_WEAK_OWN = re.compile(r"""\b(?:
    (?:publicly\s+|freely\s+|made\s+)?available(?:\s+(?:at|from|on|in|online|here))?
  | (?:downloaded|obtained|accessed|retrieved)\s+from
  | publicly | can\s+be\s+found | hosted | accessible
)\b""", re.IGNORECASE | re.VERBOSE)

# Strong cues that the link is someone else's tool, baseline, library or data. A verb takes up
# to three following words with it, so "we use the implementation in" outranks "implementation".
_MENTION = re.compile(r"""(?:\b(?:
    (?:we\s+)?(?:use|uses|used|using|utili[sz]e[sd]?|utili[sz]ing|employ\w*|adopt\w*|
        borrow\w*)(?:\s+(?!our\b)[\w-]+){0,3}
  | (?:build|builds|building|built)\s+(?:up)?on | base[ds]?\s+(?:up)?on | basing\s+on
  | upon(?!\s+(?:acceptance|publication|request))
  | on\s+top\s+of
  | follow(?:s|ing|ed)?(?!\s+(?:the\s+|this\s+)?\[?(?:link|links|here)\b)  # not "follow the [link]"
  | (?<!available\s)(?<!downloaded\s)(?<!obtained\s)(?<!accessed\s)(?<!retrieved\s)from
  | baselines? | compar\w*(?:\s+(?:with|to|against))? | against
  | (?:re-?)?implementation\s+of(?!\s+our) | (?:code|codebase)\s+of(?!\s+our)
  | reimplementation | re-implementation | original(?:\s+(?!our\b)[\w-]+){0,2}
  | third[-\s]party(?:\s+[\w-]+){0,2} | et\s+al | adapt\w* | modif\w* | fork\w*
  | provided\s+by | courtesy\s+of | thanks?\s+to | thank | authors\s+of | their(?:\s+[\w-]+){0,2}
  | such\s+as | rel(?:y|ies|ying)\s+on | leverag\w* | powered\s+by
  | implemented\s+(?:in|with) | run\s+with | extend\w*
  | fine-?tun\w* | initiali[sz]\w* | evaluated?\s+on | benchmarked\s+on
  | the(?:\s+(?!(?:our|this|these|of)\b)[\w-]+){1,3}\s+(?:library|toolkit|package|framework|tool)
  | the(?:\s+(?!(?:our|this|these)\b)[\w-]+){0,3}\s+(?:implementation|toolbox|platform)
        \s+(?:at|in|from|on)
  | install\w* | requires? | required
  | see\s+also
)\b|\be\.g\.|使用|사용|基于|基於
  # a label that introduces others' work: "References: DeiT: URL", "Related work: URL"
  | \b(?:references?|resources|related(?:\s+[\w-]+){0,2}|credits?|acknowledg\w*)\s*[:：]
)""", re.IGNORECASE | re.VERBOSE)

# A README or appendix section that lists other people's work: a link under such a heading,
# unless its own sentence says "our", is a mention ("## Acknowledgement\n- [MMCV](URL)").
_MENTION_HEADING = re.compile(
    r"(?<![a-z])(?:acknowledg\w*|credits?|references?|resources|requirements?|dependenc\w*|"
    r"prerequisites?|third[-_ ]?party|related(?:\s+(?:work|works|projects?|repos\w*|links?))?|"
    r"datasets?|baselines?|see\s+also|useful\s+links|external|upstream|vendor\w*|"
    r"other\s+(?:projects?|works?|repos\w*|implementations?|resources)|similar\s+projects?|"
    r"awesome|built\s+(?:with|on|upon)|based\s+on)(?![a-z])",
    re.IGNORECASE)
_OUR = re.compile(r"\b(?:our|ours|we\s+release|we\s+provide)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:our|ours|we|us)\b", re.IGNORECASE)
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]")
# Markup around a line's text: list and quote marks, comment marks, bold, LaTeX items.
_LINE_MARKS = re.compile(r"^[ \t]*(?:[-*+>|#]+[ \t]*|\d{1,2}[.)][ \t]+|\\item\b[ \t]*)*")
_LABEL_WORDS = 8  # a line ending in ":" of at most this many words is a label ("References:")
_LABEL_ENDS = (":", "：", "*", "_")  # the last character of any label line (see _is_label)

# Widely used frameworks and toolkits (keys): papers build on them far more often than they
# release them, so a link to one is a mention unless its sentence says "our"/"we release". The
# few papers that present the toolkit itself are misjudged; the list is domain knowledge, kept
# short, and not grown from the labelled set's errors.
KNOWN_LIBRARIES = frozenset("github.com/" + key for key in """
pytorch/pytorch pytorch/vision pytorch/audio pytorch/fairseq facebookresearch/fairseq
facebookresearch/detectron2 facebookresearch/maskrcnn-benchmark facebookresearch/detectron
huggingface/transformers huggingface/diffusers huggingface/datasets huggingface/peft
huggingface/accelerate huggingface/pytorch-image-models rwightman/pytorch-image-models
open-mmlab/mmdetection open-mmlab/mmsegmentation open-mmlab/mmcv open-mmlab/mmpose
open-mmlab/mmaction2 open-mmlab/mmdetection3d open-mmlab/mmengine open-mmlab/mmpretrain
open-mmlab/mmclassification open-mmlab/mmocr open-mmlab/mmediting open-mmlab/mmagic
nvidia/apex nvidia/megatron-lm microsoft/deepspeed tensorflow/tensorflow tensorflow/models
keras-team/keras google/jax jax-ml/jax google/flax pyg-team/pytorch_geometric
rusty1s/pytorch_geometric dmlc/dgl scikit-learn/scikit-learn lightning-ai/lightning
lightning-ai/pytorch-lightning pytorchlightning/pytorch-lightning espnet/espnet
allenai/allennlp dlr-rm/stable-baselines3 openai/baselines
""".split())

# Sentence ends: . ! ? ; (not after common abbreviations) and the CJK full stop.
_SENTENCE_END = re.compile(
    r"[.!?;](?=\s)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bcf\.)(?<!\bvs\.)(?<!\bal\.)(?<!\betc\.)"
    r"(?<!\bFig\.)(?<!\bEq\.)|。|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,2}\.[ \t]|\\item\b))"  # a heading, a list item
)
_END_CHARS = re.compile(r"[.!?;\n\u3002]")
_PRE_WORDS = 12
_POST_WORDS = 8
_CONTEXT_CHARS = 400
_PLACEHOLDER = "\u27e8u\u27e9"  # stands for a URL in the masked text; no cue matches it


def mask(text: str, spans: Sequence[Span]) -> str:
    """Replace every URL by a placeholder of the same length: cues inside URLs don't count."""
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos:span.start])
        parts.append(_PLACEHOLDER.ljust(span.end - span.start)[: span.end - span.start])
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


@dataclass(frozen=True)
class Reason:
    """Why a link was judged as it was: the verdict (None: no cue, a bare link), the cue words
    that decided, and where they stand."""

    verdict: bool | None
    cue: str | None
    why: str


_CUES = ((True, _OWN), (False, _MENTION))
_CUES_LOWER = tuple((polarity, re.compile(pattern.pattern, re.VERBOSE))
                    for polarity, pattern in _CUES)
_WEAK_LOWER = re.compile(_WEAK_OWN.pattern, re.VERBOSE)


def _nearest(context: str, nearest_last: bool) -> tuple[bool, str] | None:
    """(own?, words) of the cue nearest the link in ``context``; None when there is no cue.

    Strong cues first: the latest-ending one before the link (``nearest_last``) or the earliest-
    starting one after it, the longer on a tie. A weak cue alone means own.
    """
    best: tuple[tuple[int, int], bool, str] | None = None
    # The cue patterns are lower case: matched on the lower-cased context they need no
    # IGNORECASE, which is twice as fast; when lower() changes the length (a few non-ASCII
    # letters), positions would not line up, so the IGNORECASE patterns read the text itself.
    lowered = context.lower()
    same = len(lowered) == len(context)
    patterns = _CUES_LOWER if same else _CUES
    for polarity, pattern in patterns:
        for m in pattern.finditer(lowered if same else context):
            rank = (m.end(), -m.start()) if nearest_last else (-m.start(), m.end())
            if best is None or rank > best[0]:
                best = (rank, polarity, context[m.start():m.end()])
    if best is not None:
        return best[1], " ".join(best[2].split())
    weak = _WEAK_LOWER.search(lowered) if same else _WEAK_OWN.search(context)
    return (True, " ".join(context[weak.start():weak.end()].split())) if weak else None


def _cue(context: str, nearest_last: bool) -> bool | None:
    """The polarity of the cue nearest the link in ``context``; None when there is no cue."""
    found = _nearest(context, nearest_last)
    return None if found is None else found[0]


def _reason(found: tuple[bool, str], where: str) -> Reason:
    own, words = found
    return Reason(own, words, f"{'own' if own else 'mention'}: {words!r} {where}")


# The rules and the model's features read the same spots of a field one after the other; a
# small cache keyed on (masked text, offsets) lets the second reader pay nothing (a str caches
# its own hash). Small, so it never holds more than a few fields' text.
_cached = lru_cache(maxsize=32)


@_cached
def _before(masked: str, start: int) -> tuple[str, ...]:
    """The last words of the link's sentence before the link."""
    lo = max(0, start - _CONTEXT_CHARS)
    before = masked[lo:start]
    cut = 0
    # Only a character of _END_CHARS can start a sentence end: try the full pattern there, from
    # the last one back (a cheap C-level scan instead of the full pattern at every position).
    for i in reversed([m.start() for m in _END_CHARS.finditer(before)]):
        m = _SENTENCE_END.match(before, i)
        if m:
            cut = m.end()
            break
    return tuple(before[cut:].split()[-_PRE_WORDS:])


@_cached
def _after(masked: str, end: int) -> str:
    """The first words of the link's sentence after the link."""
    after = masked[end:end + _CONTEXT_CHARS]
    m = _SENTENCE_END.search(after)
    return " ".join(after[: m.start() if m else len(after)].split()[:_POST_WORDS])


def explain(masked: str, start: int, end: int, repo: str = "") -> Reason:
    """The judgement of the link at ``masked[start:end]``, with the words that decided it.

    In the link's sentence, the nearest strong cue among the last 12 words before the link
    decides, else a weak cue there means own. An earlier link in the sentence bounds the clause:
    the words since that link are consulted first, the whole window only if they hold no cue
    ("builds on URL1 and is available at URL2" vs "based on URL1 and URL2"). A link to a
    well-known framework or toolkit (``KNOWN_LIBRARIES``), or one under a heading that lists
    others' work, is a mention unless its sentence speaks in the first person. Failing all that,
    the same among the next 8 words after the link. ``survey show`` prints this reason.
    """
    words = _before(masked, start)
    sentence = " ".join(words)
    if repo in KNOWN_LIBRARIES and not _FIRST_PERSON.search(sentence):
        # "Install [apex](URL)", "Source Code: URL" in a demo of mmsegmentation
        return Reason(False, None, "a well-known framework or toolkit, not in the first person")
    if _under_mention_heading(masked, start) and not _OUR.search(sentence):
        # "## Acknowledgement\nThis repo builds on the awesome [bert](URL)"
        return Reason(False, None,
                      "under a heading that lists others' work (acknowledgements, ...)")
    around = sentence + " " + _after(masked, end)
    if (_in_named_list(masked, start, end) and not _FIRST_PERSON.search(around)
            and not _OWN.search(around)):
        # "# References:\n# DeiT: URL\n# BEiT: URL", "| [o/r](URL) | 62,180 | MIT |"
        return Reason(False, None, "an entry of a list of named links to others' work")
    after = _after(masked, end)
    if _CREDIT.match(after) and not _FIRST_PERSON.search(around):
        # "- Model: [GLM](URL) by Z.ai.", "[TensorFold](URL) by Ash Hart and contributors"
        return Reason(False, "by", "mention: 'by' right after the link credits someone")
    if _cited(masked, start):
        # '... "YOLOv8-Face: Pre-trained ... Models," GitHub repository. Available: URL'
        return Reason(False, "Available:", "mention: 'Available:' ends a reference entry")
    marked = [i for i, word in enumerate(words) if _PLACEHOLDER in word]
    if marked:
        found = _nearest(" ".join(words[marked[-1] + 1:]), nearest_last=True)
        if found is not None:
            return _reason(found, "since the previous link")
    found = _nearest(sentence, nearest_last=True)
    if found is not None:
        return _reason(found, "before the link")
    found = _nearest(_after(masked, end), nearest_last=False)
    if found is not None:
        return _reason(found, "after the link")
    return Reason(None, None, "no cue word around it: a bare link counts as the paper's own")


# "by <someone>" right after a link credits its authors: not "by running", "by our team".
_CREDIT = re.compile(r"by\s+(?!(?:the\s+)?(?:our|ours|us|we|me|this|these|it)\b)(?![a-z]+ing\b)"
                     r"[\w@]", re.IGNORECASE)
# A reference entry in the IEEE style ends in "[Online]. Available: URL" after a quoted title.
_AVAILABLE_END = re.compile(r"available\s*:\s*$", re.IGNORECASE)
_REFERENCE = re.compile(r"\[online\]|[,.][\"\u201d]", re.IGNORECASE)
_REFERENCE_CHARS = 300


def _cited(masked: str, start: int) -> bool:
    """Whether the link is the address of a reference entry ('"Title," ... Available: URL')."""
    lo = max(0, start - _REFERENCE_CHARS)
    last = start  # a cheap test first: the text before the link must end in ":"
    while last > lo and masked[last - 1].isspace():
        last -= 1
    if last == lo or masked[last - 1] not in ":：":
        return False
    window = masked[lo:start]
    return _AVAILABLE_END.search(window) is not None and _REFERENCE.search(window) is not None


def verdict(masked: str, start: int, end: int, repo: str = "") -> bool | None:
    """Own (True), mention (False), or None when no cue decides (a bare link)."""
    return explain(masked, start, end, repo).verdict


def sentence_context(masked: str, start: int, end: int) -> tuple[str, str]:
    """The words of the link's sentence the judgement reads, before and after the link, with
    other links shown as ``<url>``."""
    before = " ".join(_before(masked, start)).replace(_PLACEHOLDER, "<url>")
    return before, _after(masked, end).replace(_PLACEHOLDER, "<url>")


def is_official(masked: str, start: int, end: int, repo: str = "") -> bool:
    """``verdict`` with the default for a bare link: official (a bare link in an abstract or
    comment is nearly always the authors')."""
    return verdict(masked, start, end, repo) is not False


def _is_label(line: str) -> bool:
    """A short line ending in a colon ("References:", "**Resources**:") or a bold line alone."""
    text = _LINE_MARKS.sub("", line).strip()
    if text.startswith(("**", "__")) and text.endswith(("**", "__")) and len(text) > 4:
        return True
    return text.endswith((":", "：")) and len(text.split()) <= _LABEL_WORDS


def _heading_above(masked: str, start: int) -> str | None:
    """The nearest heading above the link's line: a Markdown (or code comment) heading or a
    label line, skipping lines that hold a link (the entries of a list) or no letters."""
    lo = max(0, start - _CONTEXT_CHARS)
    lines = masked[lo:start].split("\n")[:-1]
    for line in reversed(lines):
        # Only a line with "#" or one ending in ":" or a bold mark can be a heading: a cheap
        # test first (most lines of an abstract are neither), the full ones after.
        if "#" not in line and line.rstrip()[-1:] not in _LABEL_ENDS:
            continue
        if _PLACEHOLDER in line or not any(ch.isalpha() for ch in line):
            continue
        if _HEADING.match(line) or _is_label(line):
            return line
    return None


@_cached
def _under_mention_heading(masked: str, start: int) -> bool:
    """Whether the nearest heading above the link names a list of others' work."""
    heading = _heading_above(masked, start)
    return heading is not None and _MENTION_HEADING.search(heading) is not None


# The name of a list entry that says the link is the text's own ("Code:", "[GitHub](URL)").
_OWN_NAME = re.compile(r"""\b(?:
    code|codes|codebase|source|github|gitlab|repo|repository|project|page|website|homepage|
    demo|models?|weights|checkpoints?|data|datasets?|paper|implementation|official|our|ours|
    we|hugging\s?face|hf|colab|notebook|videos?|here|link|this|url|download|leaderboard|
    benchmark|space|supplementary|appendix|slides|poster|arxiv|pdf
)\b""", re.IGNORECASE | re.VERBOSE)
# "[name](" at the end of an entry's head: the Markdown link's text.
_MD_TEXT = re.compile(r"\[([^\[\]]{1,80})\]\(\s*$")
_PREVIOUS_LINKS = re.compile(r"\[[^\[\]]{0,80}\]\(\s*" + _PLACEHOLDER + r"[^\s,、/]*\s*\)?|"
                             + _PLACEHOLDER + r"\S*")
_NAME = re.compile(r"^(?:\*\*|__|`)?([\w][\w .+&'/-]{0,40}?)(?:\*\*|__|`)?\s*[:：–-]$")
_ENTRY_LINES = 6


@_cached
def _entry_name(line: str) -> str | None:
    """The name of a list entry whose line begins with its link ("- [DeiT](URL)",
    "# DeiT: URL", "| [o/r](URL) |", "DeiT: URL"); None when the line is not such an entry."""
    marks = _LINE_MARKS.match(line)
    head = line[marks.end():] if marks else line
    md = _MD_TEXT.search(head)
    name = md.group(1) if md else ""
    prefix = head[:md.start()] if md else head
    prefix = _PREVIOUS_LINKS.sub("", prefix).strip(" \t,、/&")
    if prefix:
        named = _NAME.match(prefix)
        if named is None or len(named.group(1).split()) > 4:
            return None
        name = named.group(1) + " " + name
    elif not (marks and marks.group(0).strip()) or not name:
        return None  # a bare link at a line's start is a wrapped sentence, not an entry
    return name.strip() or None


def _named_entry(line: str) -> bool:
    name = _entry_name(line)
    return name is not None and _OWN_NAME.search(name) is None


@_cached
def _in_named_list(masked: str, start: int, end: int) -> bool:
    """Whether the link begins an entry of a list of named links (at least one more entry
    near it), each named by something other than the text's own code ("DeiT: URL")."""
    line_start = masked.rfind("\n", max(0, start - _CONTEXT_CHARS), start) + 1
    if not _named_entry(masked[line_start:start]):
        return False
    above = masked[max(0, line_start - _CONTEXT_CHARS):line_start].split("\n")[:-1]
    below = masked[end:end + _CONTEXT_CHARS].split("\n")[1:]
    for lines in (reversed(above[-_ENTRY_LINES:]), below[:_ENTRY_LINES]):
        for line in lines:
            if not line.strip():
                break
            cut = line.find(_PLACEHOLDER)
            if cut != -1 and _named_entry(line[:cut]):
                return True
    return False


# ---------------------------------------------------------------------------------------------
# the learned alternative
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*|[\u4e00-\u9fff]")
MODEL_FILE = Path(__file__).with_name("official_model.json")
_NAME_WINDOW = 4000


def _line_of(masked: str, start: int) -> str:
    """The text of the link's line before the link (bounded)."""
    lo = max(0, start - _CONTEXT_CHARS)
    return masked[lo:start].rpartition("\n")[2]


def _features(masked: str, lowered: str, start: int, end: int, repo: str,
              found: bool | None) -> list[str]:
    """The link's context as tagged tokens: words before (``b:``), after (``a:``), bigrams, the
    three nearest words, and structure: the rules' verdict, list item, table row, heading,
    an entry of a list of named links, first person, a known library, whether its name recurs
    in the text. ``lowered`` is ``masked.lower()`` and ``found`` the rules' verdict, both
    computed once by the caller."""
    sentence = " ".join(_before(masked, start))
    # One findall over the joined words gives what one per word would: no match spans a space.
    before = _WORD.findall(sentence.lower())
    after = _WORD.findall(_after(masked, end).lower())
    feats = [f"b:{w}" for w in before] + [f"a:{w}" for w in after]
    feats += [f"b2:{x}_{y}" for x, y in zip(before, before[1:], strict=False)]
    feats += [f"near:{w}" for w in before[-3:]]
    if not before:
        feats.append("b:<none>")
    feats.append(f"rule:{'none' if found is None else 'own' if found else 'mention'}")
    feats += _structure(masked, lowered, start, end, repo, sentence)
    return feats


def _structure(masked: str, lowered: str, start: int, end: int, repo: str,
               sentence: str) -> list[str]:
    """The structure tokens of ``_features`` (``s:...``); ``sentence`` is the words before."""
    raw_line = _line_of(masked, start)
    line = raw_line.lstrip()
    name = repo.rpartition("/")[2]
    # Counted within a bounded window (an arXiv abstract is shorter than one side of it, so on
    # real fields this is the whole text): a 1 MB field with 1,000 links stays fast.
    lo, hi = max(0, start - _NAME_WINDOW), end + _NAME_WINDOW
    flags = {
        "s:list": (line[:1] in ("-", "*", "+") or line[:2].rstrip(".").isdigit()
                   or line.startswith("\\item")),
        "s:table": "|" in line,
        "s:mention-heading": _under_mention_heading(masked, start),
        "s:named-list": _in_named_list(masked, start, end),
        "s:entry": _entry_name(raw_line) is not None,
        "s:first-person": _FIRST_PERSON.search(sentence) is not None,
        "s:library": repo in KNOWN_LIBRARIES,
        "s:name-recurs": (len(name) > 3
                          and lowered.count(name, lo, hi) > lowered.count(repo, lo, hi)),
    }
    return [tag for tag, present in flags.items() if present]


class _HasRepo(Protocol):
    @property
    def repo(self) -> str: ...

    @property
    def official(self) -> bool: ...


L = TypeVar("L", bound=_HasRepo)


def span_context(masked: str, lowered: str, span: Span,
                 found: bool | None) -> tuple[list[str], str]:
    """(feature tokens, repo) of one keyed span, given the field's masked text, its lower case
    and the rules' verdict on the span (so a caller that judged it already pays once)."""
    repo = span.repo or ""
    return _features(masked, lowered, span.start, span.end, repo, found), repo


def _field_contexts(text: str) -> list[tuple[str, str]]:
    """(features, repo) for every keyed URL in one field."""
    if not isinstance(text, str) or not text or not has_hint(text):
        return []
    text = prepare(text)
    spans = find_spans(text)
    masked = mask(text, spans)
    lowered = masked.lower()
    contexts = (span_context(masked, lowered, s, verdict(masked, s.start, s.end, s.repo))
                for s in spans if s.repo)
    return [(" ".join(tokens), repo) for tokens, repo in contexts]


def context_features(abstract: str, comment: str | None) -> list[tuple[str, str]]:
    """(features, repo) for each mention of a link in a paper, abstract first."""
    return _field_contexts(abstract) + _field_contexts(comment or "")


@dataclass(frozen=True)
class OfficialModel:
    """Logistic regression over context words: P(own) = sigmoid(bias + sum of weights)."""

    weights: dict[str, float]
    bias: float

    def probability(self, features: str | Iterable[str]) -> float:
        """P(own) of one link's features: a space-separated string or the tokens themselves
        (the crawl's pass hands over tokens, so nothing is joined and split again)."""
        tokens = features.split() if isinstance(features, str) else features
        weights = self.weights
        z = self.bias + sum(weights.get(f, 0.0) for f in set(tokens))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def own(self, contexts: Iterable[tuple[str | Sequence[str], str]]) -> set[str]:
        """The keys with at least one mention judged own, from (features, repo) pairs."""
        return {repo for features, repo in contexts if self.probability(features) >= 0.5}

    def relabel(self, abstract: str, comment: str | None, links: Iterable[L]) -> list[L]:
        """The same links, each official when any of its mentions is judged own."""
        own = self.own(context_features(abstract, comment))
        return [replace(lk, official=lk.repo in own) for lk in links]  # type: ignore[type-var]

    def to_json(self) -> dict[str, Any]:
        return {"bias": self.bias, "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> OfficialModel:
        """The committed weights (``benchmarks/links_official_eval.py --train`` writes them)."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfficialModel:
        return cls(weights={str(k): float(v) for k, v in data["weights"].items()},
                   bias=float(data["bias"]))


def train_model(texts: Sequence[str], labels: Sequence[bool], c: float = 1.0) -> OfficialModel:
    """Fit the logistic regression (scikit-learn, imported here only: training is offline)."""
    from sklearn.feature_extraction.text import (
        CountVectorizer,
    )
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return OfficialModel(weights={}, bias=4.0 if (labels and labels[0]) else -4.0)
    vectorizer = CountVectorizer(tokenizer=str.split, lowercase=False, binary=True,
                                 token_pattern=None)
    x = vectorizer.fit_transform(texts)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, [int(v) for v in labels])
    names = vectorizer.get_feature_names_out()
    # Rounded so the committed file is small and loads back equal.
    weights = {str(n): round(float(w), 6) for n, w in zip(names, clf.coef_[0], strict=True)
               if abs(w) >= 1e-6}
    return OfficialModel(weights=weights, bias=round(float(clf.intercept_[0]), 6))
