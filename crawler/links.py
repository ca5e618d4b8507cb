"""Code links in arXiv abstracts and comments, and whether each is the paper's own code.

Why a module of its own: the harvest stores these links and every later stage (repository
fetching, classification, the report's official/mention split) keys on the ``repo`` string it
returns, so the normalisation rules below are an interface. They are documented in
``docs/readme/links.md``; change them only together with that page.

Extraction is a single left-to-right regex pass over the text (no nested unbounded quantifiers,
so no catastrophic backtracking), plus bounded look-ups around each match:

1. LaTeX escapes are undone (``\\_`` -> ``_``, ``\\%`` -> ``%``, ``\\~{}`` -> ``~``) and a scheme
   broken by a line wrap (``https://\\n github.com``) is rejoined.
2. URLs are found with a scheme (any host) or without one (known code hosts only).
3. A URL that ends at a line break and is visibly unfinished is joined with the next line
   (arXiv metadata is hard-wrapped and submitters' URLs get split); one cut after a slash
   is also joined across a space (text extracted from PDFs: ``github.com/owner/ name``).
4. Trailing punctuation, unbalanced closing brackets and quotes are stripped; ``normalise``
   maps the URL to a lower-case ``host/owner/name`` key or drops it.
5. ``official`` is decided from cue words in the same sentence (see ``_is_official``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["KINDS", "REPO_KEY_PATTERN", "Link", "extract_links", "normalise", "paper_links"]

KINDS = frozenset({"github", "gitlab", "bitbucket", "codeberg", "hf-model", "hf-space",
                   "hf-dataset", "project-page", "other"})

# Every key: a lower-case host, then zero or more path segments of [a-z0-9_.~+-] (not only dots).
# Per kind: github.com/o/n, gitlab host/g[/sub...]/n, bitbucket.org/o/n, codeberg.org/o/n,
# huggingface.co/[o/]n, huggingface.co/spaces/o/n, huggingface.co/datasets/[o/]n,
# owner.github.io[/first-segment], other-host/o/n, sourceforge.net/projects/n,
# gist.github.com/<hex id>.
REPO_KEY_PATTERN = re.compile(
    r"(?:[a-z0-9-]+\.)+[a-z]{2,63}(?:/(?!\.{1,2}(?:/|$))[a-z0-9_.~+-]+)*"
)
_SEGMENT = re.compile(r"(?!\.{1,2}$)[a-z0-9_.~+-]+")


@dataclass(frozen=True)
class Link:
    """One code link of a paper, as stored in the ``links`` table."""

    repo: str      # normalised key, lower case, matches REPO_KEY_PATTERN
    host: str      # github.com, gitlab.com, huggingface.co, github.io, ...
    kind: str      # one of KINDS
    url: str       # the cleaned URL as found, https scheme
    official: bool
    source: str    # "abstract" or "comment"


# ---------------------------------------------------------------------------------------------
# normalise: URL -> (repo key, host, kind)
# ---------------------------------------------------------------------------------------------

# github.com/<first segment> that is a GitHub page, not a user or organisation.
_GITHUB_RESERVED = frozenset("""
about account apps blog codespaces collections contact copilot customer-stories dashboard
enterprise events explore features git-guides issues join login logout marketplace mobile
new nonprofit notifications organizations orgs password_reset premium-support pricing pulls
readme resources search security sessions settings signup site solutions sponsors stars team
topics trending users watching
""".split())
_GITLAB_RESERVED = frozenset("""
- admin api dashboard explore groups help login oauth profile projects public search
sign_in snippets users user
""".split())
# A path segment at which a GitLab-like project path ends (old URLs have no "/-/").
_FORGE_ROUTES = frozenset("""
activity archive blob blame branches commit commits compare environments graphs issues jobs
labels merge_requests milestones network pipelines raw releases src tags tree uploads wiki
wikis
""".split())
_BITBUCKET_RESERVED = frozenset("account blog dashboard product repo site snippets support".split())
_CODEBERG_RESERVED = frozenset("admin api assets explore issues milestones notifications org "
                               "pulls repo user".split())
_HF_RESERVED = frozenset("""
api autotrain blog brand changelog chat collections contact course docs enterprise hub
inference-api inference-endpoints join learn login models new new-dataset new-space
notifications organizations papers posts pricing privacy search settings support tasks
terms-of-service transformers welcome
""".split())
_HF_ROUTES = frozenset("blob commit commits discussions resolve tree raw".split())
_OTHER_FORGES = frozenset({"gitee.com", "framagit.org", "git.sr.ht", "salsa.debian.org"})
_OTHER_FORGE_LABELS = ("git.", "gitea.", "forgejo.", "gogs.", "github.")
_GENERIC_RESERVED = frozenset("- admin api explore groups help login user users".split())
_PAGE_INDEX = frozenset({"index.html", "index.htm"})

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,63}")


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _strip_name(name: str) -> str:
    """Drop ``.git`` and trailing dots until stable, so normalising twice changes nothing."""
    while True:
        stripped = name.rstrip(".")
        if stripped.endswith(".git"):
            stripped = stripped[:-4]
        if stripped == name:
            return name
        name = stripped


def _key(host: str, *segments: str) -> str | None:
    """Join a key, or None when a segment is not a plausible repository path segment."""
    if not segments:
        return host
    *head, last = segments
    parts = [*head, _strip_name(last)]
    if not all(_SEGMENT.fullmatch(p) for p in parts):
        return None
    return "/".join((host, *parts))


def _forge_path(segs: list[str]) -> list[str]:
    """Project path of a GitLab-like forge: up to ``/-/`` or a route word after two segments."""
    out: list[str] = []
    for i, seg in enumerate(segs):
        if seg == "-" or (i >= 2 and seg in _FORGE_ROUTES):
            break
        out.append(seg)
    return out


def _github(segs: list[str]) -> tuple[str, str, str] | None:
    if len(segs) < 2 or segs[0] in _GITHUB_RESERVED or "." in segs[0]:
        return None  # GitHub user and organisation names never contain a dot
    key = _key("github.com", segs[0], segs[1])
    return (key, "github.com", "github") if key else None


def _huggingface(segs: list[str]) -> tuple[str, str, str] | None:
    host = "huggingface.co"
    if not segs:
        return None
    if segs[0] in ("spaces", "datasets"):
        area, rest = segs[0], segs[1:]
        kind = "hf-space" if area == "spaces" else "hf-dataset"
        if len(rest) >= 2 and rest[1] not in _HF_ROUTES:
            key = _key(host, area, rest[0], rest[1])
        elif rest and area == "datasets":
            key = _key(host, area, rest[0])  # legacy canonical dataset, e.g. datasets/squad
        else:
            return None
        return (key, host, kind) if key else None
    if segs[0] in _HF_RESERVED:
        return None
    # One segment: a legacy model id (bert-base-uncased) or an organisation page: both kept.
    key = _key(host, *segs[:1]) if len(segs) < 2 or segs[1] in _HF_ROUTES else _key(
        host, segs[0], segs[1])
    return (key, host, "hf-model") if key else None


def _forge(host: str, segs: list[str], kind: str, reserved: frozenset[str],
           nested: bool) -> tuple[str, str, str] | None:
    """Owner/name hosts; ``nested`` allows GitLab's groups and subgroups."""
    if len(segs) < 2 or segs[0] in reserved:
        return None
    path = _forge_path(segs) if nested else segs[:2]
    if len(path) < 2:
        return None
    key = _key(host, *path)
    return (key, host, kind) if key else None


def _split_url(url: str) -> tuple[str, list[str]] | None:
    """Lower-case host (no www., port or user) and path segments (no query or fragment)."""
    rest = _SCHEME.sub("", url.strip(), count=1)
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2].split(":", 1)[0].rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if not _HOST.fullmatch(host):
        return None
    return host, _segments(path.lower())


def normalise(url: str) -> tuple[str, str, str] | None:
    """Map a URL (with or without scheme) to ``(repo, host, kind)``, or None if not a repository.

    Idempotent: ``normalise(repo)`` of a returned ``repo`` gives the same triple.
    """
    if not isinstance(url, str):
        return None
    split = _split_url(url)
    if split is None:
        return None
    host, segs = split
    result: tuple[str | None, str, str] | None
    if host == "github.com":
        result = _github(segs)
    elif host == "raw.githubusercontent.com":
        result = _github(segs)
    elif host == "colab.research.google.com" and segs[:1] == ["github"]:
        result = _github(segs[1:])  # a notebook opened from a GitHub repository
    elif host == "gist.github.com":
        gist = segs[1] if len(segs) >= 2 else (segs[0] if segs else "")
        ok = re.fullmatch(r"[0-9a-f]{5,64}", gist) is not None
        result = ("gist.github.com/" + gist, "gist.github.com", "other") if ok else None
    elif host.endswith(".github.io") and host != "github.io":
        first = segs[:1] if segs and segs[0] not in _PAGE_INDEX else []
        key = _key(host, *first)
        result = (key, "github.io", "project-page") if key else None
    elif host in ("huggingface.co", "hf.co"):
        result = _huggingface(segs)
    elif host == "gitlab.com" or host.startswith("gitlab."):
        result = _forge(host, segs, "gitlab", _GITLAB_RESERVED, nested=True)
    elif host == "bitbucket.org":
        result = _forge(host, segs, "bitbucket", _BITBUCKET_RESERVED, nested=False)
    elif host == "codeberg.org":
        result = _forge(host, segs, "codeberg", _CODEBERG_RESERVED, nested=False)
    elif host == "sourceforge.net" and len(segs) >= 2 and segs[0] in ("projects", "p"):
        key = _key(host, "projects", segs[1])
        result = (key, host, "other") if key else None
    elif host.endswith((".sourceforge.net", ".sourceforge.io")) and host.count(".") == 2:
        key = _key("sourceforge.net", "projects", host.split(".", 1)[0])
        result = (key, "sourceforge.net", "other") if key else None
    elif host in _OTHER_FORGES or host.startswith(_OTHER_FORGE_LABELS):
        result = _forge(host, segs, "other", _GENERIC_RESERVED, nested=True)
    else:
        result = None
    if result is None or result[0] is None or not REPO_KEY_PATTERN.fullmatch(result[0]):
        return None
    return result[0], result[1], result[2]


# ---------------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------------

# Characters a URL may contain here; quotes, <>, {}, [], backslash and non-ASCII end it.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]"
_CODE_HOSTS = (r"(?:[a-z0-9-]{1,63}\.){0,4}"
               r"(?:github\.com|github\.io|githubusercontent\.com|gitlab\.com|bitbucket\.org"
               r"|codeberg\.org|huggingface\.co|hf\.co|sourceforge\.net|sourceforge\.io"
               r"|gitee\.com|framagit\.org|sr\.ht|salsa\.debian\.org)"
               r"|(?:gitlab|git|gitea|forgejo|gogs)\.(?:[a-z0-9-]{1,63}\.){0,3}[a-z]{2,63}")
_URL = re.compile(
    rf"(?:(?<![A-Za-z0-9])https?://|(?<![\w.@/-])(?=(?:{_CODE_HOSTS})(?![\w-])))"
    rf"{_URL_CHARS}+",
    re.IGNORECASE | re.ASCII,  # ASCII: no Unicode look-alikes (Kelvin sign, long s) in hosts
)
_WRAP_NEXT = re.compile(rf"([ \t]*\r?\n[ \t]*|[ \t]{{1,2}})({_URL_CHARS}+)")
_LATEX = re.compile(r"\\([_%#&~$])(?:\{\})?|\\textasciitilde(?:\{\})?|\$\\sim\$")
_SCHEME_WRAP = re.compile(r"(?i)(\bhttps?://)[ \t]*\r?\n[ \t]*")
_TRAIL = ".,;:!?*'"
_MAX_JOINS = 3


# Every URL _URL can match contains one of these (lower case): a text without any is skipped
# without running the regex (half of all abstracts have no link).
_HINTS = ("://", "github", "gitlab.", "bitbucket.org", "codeberg.org", "huggingface.co", "hf.co",
          "sourceforge.", "gitee.com", "framagit.org", "sr.ht", "salsa.debian.org", "git.",
          "gitea.", "forgejo.", "gogs.")


def _unlatex(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        return m.group(1) or "~"

    if "\\" in text or "$" in text:
        text = _LATEX.sub(sub, text)
    if "://" in text:
        text = _SCHEME_WRAP.sub(r"\1", text)
    return text


def _clean(raw: str) -> str:
    """Strip trailing punctuation and unbalanced closing parentheses, in linear time."""
    end = len(raw)
    balance = raw.count("(") - raw.count(")")
    while end:
        ch = raw[end - 1]
        if ch in _TRAIL:
            end -= 1
        elif ch == ")" and balance < 0:
            balance += 1
            end -= 1
        else:
            break
    return raw[:end]


def _should_join(raw: str, cont: str, newline: bool) -> bool:
    """Whether a URL continues after a line break (or, when visibly cut, after a space)."""
    if _URL.match(cont):
        return False  # the next token starts a URL of its own
    unfinished = normalise(_clean(raw)) is None
    if not newline:  # PDF-extracted text: "github.com/owner/ name"
        return unfinished and raw.endswith("/")
    if raw.endswith(("-", "_")) or cont.startswith("/"):
        return True
    if unfinished and raw.endswith(("/", ".")):
        return True
    return unfinished and "/" in cont


def _https(url: str) -> str:
    if url[:8].lower() == "https://":
        return "https://" + url[8:]
    if url[:7].lower() == "http://":
        return "https://" + url[7:]
    return "https://" + url


def _find_urls(text: str) -> list[tuple[int, int, str]]:
    """All URL spans ``(start, end, raw)``; line-wrapped URLs are joined."""
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = _URL.search(text, pos)
        if m is None:
            return found
        raw, end = m.group(0), m.end()
        for _ in range(_MAX_JOINS):
            nxt = _WRAP_NEXT.match(text, end)
            if nxt is None or not _should_join(raw, nxt.group(2), "\n" in nxt.group(1)):
                break
            raw, end = raw + nxt.group(2), nxt.end()
        found.append((m.start(), end, raw))
        pos = end


# ---------------------------------------------------------------------------------------------
# official or mention
# ---------------------------------------------------------------------------------------------

# Strong cues that the link is the paper's own code, data, models or page.
_OWN = re.compile(r"""\b(?:
    our(?:\s+[\w-]+){0,2}?\s+(?:code|codes|codebase|implementation|implementations|source|
        software|models?|data|datasets?|library|toolkit|toolbox|framework|project|repository|
        repo|benchmark|demo|tool|package|weights|checkpoints|adapters|system|method)
  | codes? | source\s+code | implementation | codebase
  | (?:we\s+)?(?:release|released|releasing|publish|published|share|open-?source[ds]?|
        open\s+source)
  | will\s+be | upon\s+acceptance
  | project\s+(?:page|website|webpage|site) | web\s?page | website | homepage | demo
  | (?:github|gitlab|models?|data|dataset|weights|samples|videos|leaderboard|source|
        software|repository|repo)\s*:
  | reproduc\w*
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
  | (?:build|builds|building|built)\s+(?:up)?on | based\s+on | on\s+top\s+of
  | follow(?:s|ing|ed)?
  | (?<!available\s)(?<!downloaded\s)(?<!obtained\s)(?<!accessed\s)(?<!retrieved\s)from
  | baselines? | compar\w*(?:\s+(?:with|to|against))? | against
  | (?:re-?)?implementation\s+of(?!\s+our) | (?:code|codebase)\s+of(?!\s+our)
  | reimplementation | re-implementation | original(?:\s+(?!our\b)[\w-]+){0,2}
  | third[-\s]party(?:\s+[\w-]+){0,2} | et\s+al | adapt\w* | modif\w* | fork\w*
  | provided\s+by | courtesy\s+of | thanks?\s+to | thank | authors\s+of | their(?:\s+[\w-]+){0,2}
  | such\s+as | including | rel(?:y|ies|ying)\s+on | leverag\w* | powered\s+by
  | implemented\s+(?:in|with) | run\s+with | extend\w*
  | fine-?tun\w* | initiali[sz]\w* | evaluated?\s+on | benchmarked\s+on
  | the(?:\s+[\w-]+){1,3}\s+(?:library|toolkit|package|framework|tool)
)\b|\be\.g\.)""", re.IGNORECASE | re.VERBOSE)

# Sentence ends: . ! ? ; (not after common abbreviations) and the CJK full stop.
_SENTENCE_END = re.compile(
    r"[.!?;](?=\s)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bcf\.)(?<!\bvs\.)(?<!\bal\.)(?<!\betc\.)"
    r"(?<!\bFig\.)(?<!\bEq\.)|。|\n[ \t]*\n"
)
_PRE_WORDS = 12
_POST_WORDS = 8
_CONTEXT_CHARS = 400


_PLACEHOLDER = "\u27e8u\u27e9"  # stands for a URL in the masked text; no cue matches it


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace every URL by a placeholder of the same length: cues inside URLs don't count."""
    parts: list[str] = []
    pos = 0
    for start, end, _ in spans:
        parts.append(text[pos:start])
        parts.append(_PLACEHOLDER.ljust(end - start)[: end - start])
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _cue(context: str, nearest_last: bool) -> bool | None:
    """The polarity of the cue nearest the link in ``context``; None when there is no cue.

    Strong cues first: the latest-ending one before the link (``nearest_last``) or the earliest-
    starting one after it, the longer on a tie. A weak cue alone means own.
    """
    best: tuple[int, int, bool] | None = None
    for polarity, pattern in ((True, _OWN), (False, _MENTION)):
        for m in pattern.finditer(context):
            rank = (m.end(), -m.start()) if nearest_last else (-m.start(), m.end())
            if best is None or rank > best[:2]:
                best = (rank[0], rank[1], polarity)
    if best is not None:
        return best[2]
    return True if _WEAK_OWN.search(context) else None


def _is_official(masked: str, start: int, end: int) -> bool:
    """Own code or mention, from the cue words of the sentence around ``masked[start:end]``.

    The rule: in the link's sentence, the nearest strong cue among the last 12 words before the
    link decides, else a weak cue there means own. An earlier link in the sentence bounds the
    clause: the words since that link are consulted first, the whole window only if they hold
    no cue ("builds on URL1 and is available at URL2" vs "based on URL1 and URL2"). Failing
    all that, the same among the next 8 words after the link; failing that the link is official
    (a bare link in an abstract or comment is nearly always the authors').
    """
    lo = max(0, start - _CONTEXT_CHARS)
    before = masked[lo:start]
    cut = 0
    for m in _SENTENCE_END.finditer(before):
        cut = m.end()
    words = before[cut:].split()[-_PRE_WORDS:]
    marked = [i for i, word in enumerate(words) if _PLACEHOLDER in word]
    if marked:
        last = marked[-1]
        verdict = _cue(" ".join(words[last + 1:]), nearest_last=True)
        if verdict is not None:
            return verdict
    verdict = _cue(" ".join(words), nearest_last=True)
    if verdict is not None:
        return verdict
    after = masked[end:end + _CONTEXT_CHARS]
    stop = _SENTENCE_END.search(after)
    post = " ".join(after[: stop.start() if stop else len(after)].split()[:_POST_WORDS])
    verdict = _cue(post, nearest_last=False)
    return True if verdict is None else verdict


# ---------------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------------

def _merge(links: list[Link]) -> list[Link]:
    """One link per repo, first mention kept, official when any mention is official."""
    merged: dict[str, Link] = {}
    for link in links:
        seen = merged.get(link.repo)
        if seen is None:
            merged[link.repo] = link
        elif link.official and not seen.official:
            merged[link.repo] = replace(seen, official=True)
    return list(merged.values())


def extract_links(text: str, source: str) -> list[Link]:
    """Code links in one field, in order of appearance, one per repo. Never raises."""
    if not isinstance(text, str) or not text:
        return []
    text = _unlatex(text)
    lowered = text.lower()
    if not any(hint in lowered for hint in _HINTS):
        return []
    spans = _find_urls(text)
    if not spans:
        return []
    masked = _mask(text, spans)
    links: list[Link] = []
    official_repos: set[str] = set()
    for start, end, raw in spans:
        url = _clean(raw)
        found = normalise(url)
        if found is None or found[0] in official_repos:
            continue  # a repeat of a repo already known official changes nothing
        repo, host, kind = found
        official = _is_official(masked, start, end)
        if official:
            official_repos.add(repo)
        links.append(Link(repo=repo, host=host, kind=kind, url=_https(url), official=official,
                          source=source))
    return _merge(links)


def paper_links(abstract: str, comment: str | None) -> list[Link]:
    """A paper's links: abstract's first, then the comment's, deduplicated by repo."""
    return _merge(extract_links(abstract or "", "abstract") + extract_links(comment or "",
                                                                             "comment"))
