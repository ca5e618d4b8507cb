"""Finding URLs in arXiv text and normalising them to a stable key with a kind.

Why a module of its own: every later stage keys on the ``repo`` string ``normalise`` returns
(fetching, classification, the export's ``repo`` column), and only links whose kind is in
``REPOSITORY_KINDS`` are fetched, counted and exported as repositories. Project pages,
organisation pages, shorteners and docs keep a key and a kind too, so they can be stored.

Finding is one left-to-right regex pass over the text (no nested unbounded quantifiers, so no
catastrophic backtracking) plus bounded look-ups around each match:

1. LaTeX escapes are undone (``\\_`` -> ``_``) and a scheme broken by a line wrap or a space
   (``https:\\n//github.com``, ``https://\\ngithub.com``, ``https: //``) is rejoined.
2. URLs are found with a scheme, glued to the word before or not (any host), without one
   (known code hosts only) or in SSH form (``git@github.com:owner/name.git``).
3. A URL that ends at a line break and is visibly unfinished is joined with the next line; one
   cut after a slash is also joined across a space (text extracted from PDFs).
4. Trailing punctuation, unbalanced closing brackets and quotes are stripped; ``normalise``
   maps the URL to a lower-case key and a kind, or drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from survey.core.vocab import KINDS, REPOSITORY_KINDS, LinkKind

__all__ = ["KINDS", "REPOSITORY_KINDS", "REPO_KEY_PATTERN", "LinkKind", "Span", "find_spans",
           "MAX_SPANS", "https", "normalise", "prepare"]



# Every key: a lower-case host, then zero or more path segments of [a-z0-9_.~+-] (not only dots).
REPO_KEY_PATTERN = re.compile(
    r"(?:[a-z0-9-]+\.)+[a-z]{2,63}(?:/(?!\.{1,2}(?:/|$))[a-z0-9_.~+-]+)*"
)
_SEGMENT = re.compile(r"(?!\.{1,2}$)[a-z0-9_.~+-]+")

# ---------------------------------------------------------------------------------------------
# normalise: URL -> (key, host, kind)
# ---------------------------------------------------------------------------------------------

# github.com/<first segment> that is a GitHub page, not a user or organisation.
_GITHUB_RESERVED = frozenset("""
about account apps blog codespaces collections contact copilot customer-stories dashboard
enterprise events explore features git-guides issues join login logout marketplace mobile
new nonprofit notifications organizations password_reset premium-support pricing pulls
readme resources search security sessions settings signup site solutions sponsors stars team
topics trending watching
""".split())
_GITLAB_RESERVED = frozenset("""
- admin api dashboard explore help login oauth profile projects public search
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
api autotrain blog brand changelog chat collections contact course enterprise hub
inference-api inference-endpoints join learn login models new new-dataset new-space
notifications organizations papers posts pricing privacy search settings support tasks
terms-of-service transformers welcome
""".split())
_HF_ROUTES = frozenset("blob commit commits discussions resolve tree raw".split())
# Hugging Face's legacy canonical model ids had no owner (bert-base-uncased, gpt2, t5-small):
# one segment starting with one of these is a model; any other single segment is an organisation.
_HF_LEGACY_MODEL = re.compile(
    r"(?:bert|distilbert|roberta|distilroberta|gpt2|distilgpt2|openai-gpt|t5|xlnet|xlm|albert|"
    r"bart|ctrl|camembert|flaubert|electra|longformer|transfo-xl)(?:-|$)")
_OTHER_FORGES = frozenset({"gitee.com", "framagit.org", "git.sr.ht", "salsa.debian.org"})
_OTHER_FORGE_LABELS = ("git.", "gitea.", "forgejo.", "gogs.", "github.")
_GENERIC_RESERVED = frozenset("- admin api explore groups help login user users".split())
_SHORTENERS = frozenset({"git.io", "bit.ly", "aka.ms", "tinyurl.com", "goo.gl", "rb.gy",
                         "shorturl.at", "is.gd", "ow.ly", "t.ly", "cutt.ly"})
_DOCS_SUFFIXES = (".readthedocs.io", ".readthedocs.org", ".rtfd.io")
_PAGE_INDEX = frozenset({"index.html", "index.htm"})
_GITHUB_HOSTS = frozenset({"github.com", "raw.githubusercontent.com", "colab.research.google.com",
                           "gist.github.com", "github.dev", "raw.github.com", "codeload.github.com",
                           "api.github.com", "vscode.dev"})

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# pip's and git's forms: "git+https://", "git+ssh://git@host/", "git://host/".
_SSH = re.compile(r"^(?:(?:git\+)?ssh://)?git@([A-Za-z0-9.-]+)[:/](.*)$", re.IGNORECASE)
_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,63}")
_QUERY = re.compile(r"[?#]")

Result = tuple[str, str, str]


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
    """Join a key, or None when a segment is not a plausible path segment."""
    if not segments:
        return host
    *head, last = segments
    parts = [*head, _strip_name(last)]
    if not all(_SEGMENT.fullmatch(p) for p in parts):
        return None
    return "/".join((host, *parts))


def _make(host: str, segments: list[str], kind: LinkKind,
          shown: str | None = None) -> Result | None:
    key = _key(host, *segments)
    return (key, shown or host, str(kind)) if key else None


def _forge_path(segs: list[str]) -> list[str]:
    """Project path of a GitLab-like forge: up to ``/-/`` or a route word after two segments."""
    out: list[str] = []
    for i, seg in enumerate(segs):
        if seg == "-" or (i >= 2 and seg in _FORGE_ROUTES):
            break
        out.append(seg)
    return out


def _github(segs: list[str]) -> Result | None:
    host = "github.com"
    if segs[:1] in (["orgs"], ["users"]):
        segs = segs[1:2]  # github.com/orgs/deepmind/repositories: the organisation's page
    if not segs or segs[0] in _GITHUB_RESERVED or "." in segs[0]:
        return None  # GitHub user and organisation names never contain a dot
    if len(segs) == 1:
        return _make(host, segs, LinkKind.ORG_PAGE)
    return _make(host, segs[:2], LinkKind.GITHUB)


def _hf_area(segs: list[str]) -> Result | None:
    """huggingface.co/spaces/o/n and huggingface.co/datasets/o/n (or a legacy datasets/name)."""
    host = "huggingface.co"
    area, rest = segs[0], segs[1:]
    kind = LinkKind.HF_SPACE if area == "spaces" else LinkKind.HF_DATASET
    if len(rest) >= 2 and rest[1] not in _HF_ROUTES:
        return _make(host, [area, rest[0], rest[1]], kind)
    if rest and area == "datasets":
        return _make(host, [area, rest[0]], kind)  # legacy canonical dataset, e.g. datasets/squad
    return None


def _huggingface(segs: list[str]) -> Result | None:
    host = "huggingface.co"
    if not segs:
        return None
    if segs[0] in ("spaces", "datasets"):
        return _hf_area(segs)
    if segs[0] == "docs":
        return _make(host, segs[:2], LinkKind.OTHER_PAGE)
    if segs[0] in _HF_RESERVED:
        return None
    if len(segs) >= 2 and segs[1] not in _HF_ROUTES:
        return _make(host, segs[:2], LinkKind.HF_MODEL)
    if _HF_LEGACY_MODEL.match(segs[0]):
        return _make(host, segs[:1], LinkKind.HF_MODEL)
    return _make(host, segs[:1], LinkKind.ORG_PAGE)


def _forge(host: str, segs: list[str], kind: LinkKind, reserved: frozenset[str],
           nested: bool) -> Result | None:
    """Owner/name hosts; ``nested`` allows GitLab's groups and subgroups. One segment (or
    ``groups/name``) is the owner's page."""
    if segs[:1] == ["groups"] and nested:
        segs = segs[1:2]
    if not segs or segs[0] in reserved:
        return None
    path = _forge_path(segs) if nested else segs[:2]
    if len(path) == 1:
        return _make(host, path, LinkKind.ORG_PAGE)
    return _make(host, path, kind) if path else None


def _page(host: str, segs: list[str], shown: str) -> Result | None:
    """owner.github.io[/first-segment]: a project or personal page."""
    first = segs[:1] if segs and segs[0] not in _PAGE_INDEX else []
    return _make(host, first, LinkKind.PROJECT_PAGE, shown)


def _split_url(url: str) -> tuple[str, list[str]] | None:
    """Lower-case host (no www., port or user) and path segments (no query or fragment)."""
    url = url.strip()
    ssh = _SSH.match(url) if "@" in url else None
    if ssh:
        url = ssh.group(1) + "/" + ssh.group(2)
    scheme = _SCHEME.match(url)
    rest = url[scheme.end():] if scheme else url
    rest = _QUERY.split(rest, maxsplit=1)[0]
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2].split(":", 1)[0].rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    if not _HOST.fullmatch(host):
        return None
    segs = [s for s in path.lower().split("/") if s]
    for i, seg in enumerate(segs):
        if "@" in seg:  # pip's "owner/name.git@v0.4": the path ends at the ref
            segs = [*segs[:i], seg.partition("@")[0]] if seg[0] != "@" else segs[:i]
            break
    if segs and segs[-1].strip("."):  # "huggingface.co/spaces.git" is huggingface.co/spaces
        segs[-1] = _strip_name(segs[-1])
    return host, segs


def _github_family(host: str, segs: list[str]) -> Result | None:
    """github.com and the hosts that stand for a GitHub repository or page."""
    if host in ("github.com", "raw.githubusercontent.com", "github.dev", "raw.github.com",
                "codeload.github.com"):
        return _github(segs) if segs else None  # github.dev: GitHub's editor on the repository
    if host == "api.github.com":
        return _github(segs[1:]) if segs[:1] == ["repos"] and len(segs) > 2 else None
    if host == "vscode.dev":
        return _github(segs[1:]) if segs[:1] == ["github"] and len(segs) > 2 else None
    if host == "colab.research.google.com":
        return _github(segs[1:]) if segs[:1] == ["github"] and len(segs) > 2 else None
    if host == "gist.github.com":
        gist = segs[1] if len(segs) >= 2 else (segs[0] if segs else "")
        ok = re.fullmatch(r"[0-9a-f]{5,64}", gist) is not None
        return _make(host, [gist], LinkKind.OTHER_FORGE) if ok else None
    return _page(host, segs, "github.io")  # owner.github.io


def _other_hosts(host: str, segs: list[str]) -> Result | None:
    """Forges other than GitHub and Hugging Face, shorteners and docs; None for the rest."""
    if host in _SHORTENERS:
        return _make(host, segs[:1], LinkKind.OTHER_PAGE) if segs else None
    if host == "gitlab.com" or host.startswith("gitlab."):
        return _forge(host, segs, LinkKind.GITLAB, _GITLAB_RESERVED, nested=True)
    if host == "bitbucket.org":
        return _forge(host, segs, LinkKind.BITBUCKET, _BITBUCKET_RESERVED, nested=False)
    if host == "codeberg.org":
        return _forge(host, segs, LinkKind.CODEBERG, _CODEBERG_RESERVED, nested=False)
    if host == "sourceforge.net" and len(segs) >= 2 and segs[0] in ("projects", "p"):
        return _make(host, ["projects", segs[1]], LinkKind.OTHER_FORGE)
    if host.endswith((".sourceforge.net", ".sourceforge.io")) and host.count(".") == 2:
        return _make("sourceforge.net", ["projects", host.split(".", 1)[0]],
                     LinkKind.OTHER_FORGE)
    if host in _OTHER_FORGES or host.startswith(_OTHER_FORGE_LABELS):
        return _forge(host, segs, LinkKind.OTHER_FORGE, _GENERIC_RESERVED, nested=True)
    if host.endswith(".gitlab.io") and host != "gitlab.io":
        return _page(host, segs, "gitlab.io")
    if host.endswith(_DOCS_SUFFIXES):
        return _make(host, [], LinkKind.OTHER_PAGE)
    return None


def normalise(url: str) -> tuple[str, str, str] | None:
    """Map a URL (with or without scheme, or SSH) to ``(key, host, kind)``, or None when it is
    no link this survey keeps (arXiv, DOIs, GitHub's own pages, any other site).

    Idempotent: ``normalise(key)`` of a returned ``key`` gives the same triple.
    """
    if not isinstance(url, str):
        return None
    return _normalise_cached(url) if len(url) <= _CACHED_URL else _normalise(url)


# A URL at the end of a wrapped line is normalised twice (to decide the join, then as the span):
# a small cache makes the second time free; the result is an immutable tuple. Only URLs of
# ordinary length are cached, so the cache never holds more than 256 x 2 kB of outside text.
_CACHED_URL = 2048


def _normalise(url: str) -> tuple[str, str, str] | None:
    split = _split_url(url)
    if split is None:
        return None
    host, segs = split
    if host in _GITHUB_HOSTS or (host.endswith(".github.io") and host != "github.io"):
        result = _github_family(host, segs)
    elif host in ("huggingface.co", "hf.co"):
        result = _huggingface(segs)
    else:
        result = _other_hosts(host, segs)
    if result is None or not REPO_KEY_PATTERN.fullmatch(result[0]):
        return None
    return result


_normalise_cached = lru_cache(maxsize=256)(_normalise)


# ---------------------------------------------------------------------------------------------
# finding URLs in text
# ---------------------------------------------------------------------------------------------

# Characters a URL may contain here; quotes, <>, {}, [], backslash and non-ASCII end it.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]"
_CODE_HOSTS = (r"(?:[a-z0-9-]{1,63}\.){0,4}"
               r"(?:github\.com|github\.io|gitlab\.io|githubusercontent\.com|gitlab\.com"
               r"|bitbucket\.org|codeberg\.org|huggingface\.co|hf\.co|sourceforge\.net"
               r"|sourceforge\.io|gitee\.com|framagit\.org|sr\.ht|salsa\.debian\.org"
               r"|readthedocs\.io|git\.io)"
               r"|(?:gitlab|git|gitea|forgejo|gogs)\.(?:[a-z0-9-]{1,63}\.){0,3}[a-z]{2,63}")
_URL = re.compile(
    # A scheme may be glued to the word before it ("available athttps://"); a bare code host
    # may follow a digit (a footnote mark) but not a letter, a dot, "@" or "/"; SSH remotes.
    rf"(?:https?://|\bgit://|(?:\bssh://|(?<![A-Za-z_.@/-]))git@(?=(?:{_CODE_HOSTS})[:/])"
    rf"|(?<![A-Za-z_.@/-])(?=(?:{_CODE_HOSTS})(?![\w-])))"
    rf"{_URL_CHARS}+",
    re.IGNORECASE | re.ASCII,  # ASCII: no Unicode look-alikes (Kelvin sign, long s) in hosts
)
_WRAP_NEXT = re.compile(rf"([ \t]*\r?\n[ \t]*|[ \t]{{1,2}})({_URL_CHARS}+)")
_LATEX = re.compile(r"\\([_%#&~$])(?:\{\})?|\\textasciitilde(?:\{\})?|\$\\sim\$")
# A scheme cut by a line break or a space: "https:\n//", "https\n://", "https://\n", "https: //".
_SCHEME_WRAP = re.compile(
    r"(?i)(https?)(?:[ \t]*\r?\n[ \t]*:[ \t]*//|:[ \t]*\r?\n[ \t]*//|:[ \t]+//"
    r"|://[ \t]*\r?\n[ \t]*)")
_TRAIL = ".,;:!?*'"
_MAX_JOINS = 3
# Where a URL can start: a scheme, an SSH remote, or the name of a code host (the full pattern
# is tried only there). Every match of _URL starts at, or a host token before, one of these.
_ANCHOR_PATTERN = (r"https?://|git://|ssh://|git@|(?:github|githubusercontent|gitlab|bitbucket|codeberg"
                   r"|huggingface|hf|sourceforge|gitee|framagit|sr|salsa|readthedocs|git|gitea"
                   r"|forgejo|gogs)\.")
_ANCHOR_ANY_CASE = re.compile(_ANCHOR_PATTERN, re.IGNORECASE | re.ASCII)
# The same on lower-cased text, written with a leading character class: the regex engine then
# skips ahead in C to the next possible first letter (IGNORECASE turns that optimisation off).
_ANCHOR = re.compile(
    r"[hsgbcfr](?:ttps?://|it://|sh://|it@|(?:ithub|ithubusercontent|itlab|itbucket|odeberg"
    r"|uggingface|f|ourceforge|itee|ramagit|r|alsa|eadthedocs|it|itea|orgejo|ogs)\.)", re.ASCII)
_HOST_BACK = 256  # a host token is at most 253 characters
# Links kept per field: an arXiv abstract has at most a few dozen; the bound keeps any input,
# however many URLs it holds, to a bounded cost.
MAX_SPANS = 1000
# Every URL _URL can match contains one of these (lower case): a text without any is skipped
# without running the regex (half of all abstracts have no link).
_HINTS = ("://", "https:", "http:", "github", "gitlab.", "bitbucket.org", "codeberg.org",
          "huggingface.co", "hf.co", "sourceforge.", "gitee.com", "framagit.org", "sr.ht",
          "salsa.debian.org", "git.", "gitea.", "forgejo.", "gogs.", "readthedocs.io")


@dataclass(frozen=True)
class Span:
    """One URL found in the prepared text: where, as written (cleaned), and what it is."""

    start: int
    end: int
    url: str    # cleaned, as written (scheme and case kept)
    repo: str
    host: str
    kind: str


def prepare(text: str) -> str:
    """Undo LaTeX escapes and rejoin schemes broken by a wrap; the text the spans index."""
    if "\\" in text or "$" in text:
        text = _LATEX.sub(lambda m: m.group(1) or "~", text)
    if "http" in text or "HTTP" in text:
        text = _SCHEME_WRAP.sub(lambda m: m.group(1) + "://", text)
    return text


def has_hint(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def _clean(raw: str) -> str:
    """Cut at the first unbalanced closing parenthesis (a trailing ``)`` of a parenthesis
    around the URL, or a Markdown link's ``)`` with the next sentence glued on:
    ``[x](URL).We``), then strip trailing punctuation, in linear time. After the cut every
    ``)`` left is balanced, so none needs stripping."""
    if ")" in raw:
        depth = 0
        for i, ch in enumerate(raw):
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raw = raw[:i]
                    break
    return raw.rstrip(_TRAIL)


def _should_join(raw: str, cont: str, newline: bool) -> bool:
    """Whether a URL continues after a line break (or, when visibly cut, after a space)."""
    if _URL.match(cont):
        return False  # the next token starts a URL of its own
    found = normalise(_clean(raw))
    # "github.com/facebook" + "research/x": an owner's page alone is a repository cut short.
    unfinished = found is None or found[2] == LinkKind.ORG_PAGE
    if not newline:  # PDF-extracted text: "github.com/owner/ name"
        return unfinished and raw.endswith("/")
    if raw.endswith(("-", "_")) or cont.startswith("/"):
        return True
    if unfinished and raw.endswith(("/", ".")):
        return True
    return unfinished and "/" in cont


def _without_userinfo(rest: str) -> str:
    """``user:password@host/path`` -> ``host/path``: credentials never leave the text."""
    cut = len(rest)
    for sep in "/?#":
        found = rest.find(sep)
        if found != -1:
            cut = min(cut, found)
    at = rest.rfind("@", 0, cut)
    return rest[at + 1:] if at != -1 else rest


def https(url: str) -> str:
    """The stored form of a found URL: https scheme, path and case as written, no user info
    (``https://user:token@github.com/o/r`` is stored as ``https://github.com/o/r``)."""
    ssh = _SSH.match(url)
    if ssh:
        return "https://" + ssh.group(1) + "/" + ssh.group(2)
    scheme = _SCHEME.match(url)  # https://, http://, git://
    return "https://" + _without_userinfo(url[scheme.end():] if scheme else url)


def _url_at(text: str, anchor: re.Match[str]) -> re.Match[str] | None:
    """The URL that an anchor hit belongs to: a scheme or SSH remote starts at the hit; a bare
    host may start earlier (``owner.github.io``, ``raw.githubusercontent.com``), at the start
    of its host token, or at the hit itself (``1github.com`` after a footnote mark)."""
    hit = anchor.start()
    if anchor.group(0)[-1] != ".":
        return _URL.match(text, hit)
    start = hit
    while start > 0 and hit - start < _HOST_BACK and (text[start - 1].isalnum()
                                                      or text[start - 1] in "-."):
        start -= 1
    found = _URL.match(text, start) if start != hit else None
    return found or _URL.match(text, hit)


def _raw_spans(text: str, limit: int = MAX_SPANS) -> list[tuple[int, int, str]]:
    """URL spans ``(start, end, raw)``, at most ``limit``; line-wrapped URLs are joined.

    A cheap anchor search (a scheme, ``git@`` or a code host's name) finds the places worth
    trying the full URL pattern at, so text without links costs one C-level scan."""
    found: list[tuple[int, int, str]] = []
    lowered = text.lower()
    # lower() keeps positions for ASCII; a few other letters change length (U+0130).
    same = len(lowered) == len(text)
    anchors, haystack = (_ANCHOR, lowered) if same else (_ANCHOR_ANY_CASE, text)
    pos = 0
    while len(found) < limit:
        anchor = anchors.search(haystack, pos)
        if anchor is None:
            return found
        m = _url_at(text, anchor)
        if m is None or m.end() <= pos:
            pos = anchor.end()
            continue
        raw, end = m.group(0), m.end()
        for _ in range(_MAX_JOINS):
            nxt = _WRAP_NEXT.match(text, end)
            if nxt is None or not _should_join(raw, nxt.group(2), "\n" in nxt.group(1)):
                break
            raw, end = raw + nxt.group(2), nxt.end()
        found.append((m.start(), end, raw))
        pos = end
    return found


def find_spans(text: str) -> list[Span]:
    """Every URL in a prepared text, with its key and kind when it has one (``repo`` empty and
    ``kind`` empty for URLs ``normalise`` drops: they still bound clauses for the judgement)."""
    spans = []
    for start, end, raw in _raw_spans(text):
        url = _clean(raw)
        found = normalise(url)
        repo, host, kind = found if found else ("", "", "")
        spans.append(Span(start, end, url, repo, host, kind))
    return spans
