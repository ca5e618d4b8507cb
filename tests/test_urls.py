"""URL finding in real-text forms and the link-kind vocabulary (crawler/urls.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from crawler.links import LINKS_VERSION, extract_links, paper_links
from crawler.urls import KINDS, REPOSITORY_KINDS, LinkKind, normalise

FIXTURES = Path(__file__).parent / "fixtures" / "links"


def repos(text: str) -> list[tuple[str, str]]:
    return [(lk.repo, lk.kind) for lk in extract_links(text, "abstract")]


GH = [("github.com/o/r", "github")]


@pytest.mark.parametrize("text", [
    "Code is available athttps://github.com/o/r.",                     # glued to the word before
    "available at1https://github.com/o/r",                             # glued to a footnote mark
    "Code: https:\n//github.com/o/r",                                  # line break in the scheme
    "Code: https\n://github.com/o/r",
    "Code: https://\ngithub.com/o/r",
    "Code: https: //github.com/o/r",                                   # a space in the scheme
    "Code: https://github.com/\no/r",                                  # a break after a slash
    "Code: https://github.com/o/\nr",
    r"Code: \url{https://github.com/o/r}.",
    r"Code: \href{https://github.com/o/r}{here}.",
    'Code: <a href="https://github.com/o/r">repo</a>',
    "The source code is available at:\ngithub.com/o/r .",              # scheme-less, then " ."
    "Code: www.github.com/o/r",
    "Clone git@github.com:o/r.git to start.",                          # SSH remote
    "See ssh://git@github.com/o/r.git",
    "Code: https://github.com/o/r/tree/main/src and https://github.com/O/R/blob/x.py",
    "Code: HTTPS://GitHub.com/O/R",                                    # mixed case
    "代码可在https://github.com/o/r上获取。",                               # CJK around the URL
    "Code: **https://github.com/o/r**",
    "Code: [repo]((https://github.com/o/r/))",
])
def test_real_text_forms_give_the_repository(text: str) -> None:
    assert repos(text) == GH


@pytest.mark.parametrize("text", [
    "Our code is available at this https URL.",
    "competitive this http URL is available at this https URL",
    "see https URL and http URL",
])
def test_arxiv_placeholder_invents_nothing(text: str) -> None:
    assert paper_links(text, text) == []


def test_ssh_url_is_stored_as_https() -> None:
    [link] = extract_links("git@github.com:Owner/Name.git", "comment")
    assert link.url == "https://github.com/Owner/Name.git" and link.repo == "github.com/owner/name"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/karpathy", ("github.com/karpathy", "github.com", "org-page")),
    ("https://github.com/orgs/deepmind/repositories",
     ("github.com/deepmind", "github.com", "org-page")),
    ("https://huggingface.co/facebook", ("huggingface.co/facebook", "huggingface.co", "org-page")),
    ("https://huggingface.co/BAAI", ("huggingface.co/baai", "huggingface.co", "org-page")),
    ("https://huggingface.co/bert-base-uncased",
     ("huggingface.co/bert-base-uncased", "huggingface.co", "hf-model")),
    ("https://huggingface.co/gpt2", ("huggingface.co/gpt2", "huggingface.co", "hf-model")),
    ("https://huggingface.co/docs/transformers/index",
     ("huggingface.co/docs/transformers", "huggingface.co", "other-page")),
    ("https://gitlab.com/onlyuser", ("gitlab.com/onlyuser", "gitlab.com", "org-page")),
    ("https://gitlab.com/groups/ml-physics", ("gitlab.com/ml-physics", "gitlab.com", "org-page")),
    ("https://someone.github.io/project/", ("someone.github.io/project", "github.io",
                                            "project-page")),
    ("https://team.gitlab.io/tool/docs.html", ("team.gitlab.io/tool", "gitlab.io",
                                               "project-page")),
    ("https://git.io/JfXyZ", ("git.io/jfxyz", "git.io", "other-page")),
    ("https://bit.ly/3abc", ("bit.ly/3abc", "bit.ly", "other-page")),
    ("https://aka.ms/thing", ("aka.ms/thing", "aka.ms", "other-page")),
    ("https://mmdetection.readthedocs.io/en/latest/install.html",
     ("mmdetection.readthedocs.io", "mmdetection.readthedocs.io", "other-page")),
    ("https://github.tik.uni-stuttgart.de/iss-theses/s1420.git",
     ("github.tik.uni-stuttgart.de/iss-theses/s1420", "github.tik.uni-stuttgart.de",
      "other-forge")),
])
def test_pages_keep_a_key_and_a_kind(url: str, expected: tuple[str, str, str]) -> None:
    assert normalise(url) == expected
    assert normalise(expected[0]) == expected  # idempotent


@pytest.mark.parametrize("url", [
    "https://docs.github.com/en/rest", "https://github.io", "https://arxiv.org/abs/2101.00001",
    "https://opencompass.org.cn/mmbench", "https://doi.org/10.1145/3540250.3549176",
    "https://bit.ly", "https://colab.research.google.com/github/o",
])
def test_other_sites_are_not_links_we_keep(url: str) -> None:
    assert normalise(url) is None


def test_vocabulary() -> None:
    assert {str(k) for k in KINDS} == {
        "github", "gitlab", "bitbucket", "codeberg", "hf-model", "hf-dataset", "hf-space",
        "other-forge", "project-page", "org-page", "other-page"}
    assert {str(k) for k in KINDS - REPOSITORY_KINDS} == {"project-page", "org-page",
                                                          "other-page"}
    assert LinkKind("hf-space") is LinkKind.HF_SPACE and LinkKind.GITHUB == "github"
    assert isinstance(LINKS_VERSION, str) and LINKS_VERSION


def test_is_repository() -> None:
    links = paper_links("Page: https://a.github.io/p. Code: https://github.com/a/p. "
                        "Org: https://huggingface.co/acme", None)
    assert [(lk.kind, lk.is_repository) for lk in links] == [
        ("project-page", False), ("github", True), ("org-page", False)]


# The last record id of each labelling round, by set: round n holds the ids after round n-1's
# last and up to its own (the last round has no end yet).
ROUND_ENDS = ({"arxiv": 55, "mention": 39}, {"arxiv": 172, "mention": 63},
              {"arxiv": 233, "mention": 90}, {"arxiv": 311, "mention": 154})


def _labelled() -> list[dict]:
    return [json.loads(line) for line in
            (FIXTURES / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]


def _round(records: list[dict], n: int) -> list[dict]:
    """The records of labelling round ``n`` (1 for the first), by their ids."""
    def number(r: dict) -> int:
        return int(r["id"].split("-")[1])

    low = ROUND_ENDS[n - 2] if n > 1 else None
    high = ROUND_ENDS[n - 1] if n <= len(ROUND_ENDS) else None
    return [r for r in records
            if (low is None or number(r) > low[r["set"]])
            and (high is None or number(r) <= high[r["set"]])]


def test_labelled_file_is_usable_end_to_end() -> None:
    """Every record carries what the crawl fixture needs, with keys in the documented form."""
    records = _labelled()
    assert {r["split"] for r in records} == {"tune", "held", "held2", "held3", "held4", "held5"}
    assert {r["set"] for r in records} == {"arxiv", "mention"}
    for r in records:
        assert set(r) >= {"id", "set", "split", "origin", "abstract", "comment", "links"}
        for w in r["links"]:
            assert w["kind"] in KINDS and w["source"] in ("abstract", "comment")
            assert w["official"] in (True, False, None)
            assert normalise(w["repo"]) is not None and normalise(w["repo"])[0] == w["repo"]
    mentions = [w for r in records for w in r["links"] if w["official"] is False]
    assert len(mentions) >= 60
    # issue 12's sizes: >= 150 arXiv abstracts/comments with links, >= 60 texts that link
    # someone else's code
    assert sum(r["set"] == "arxiv" and bool(r["links"]) for r in records) >= 150
    assert sum(any(w["official"] is False and w["kind"] in REPOSITORY_KINDS for w in r["links"])
               for r in records) >= 60


def test_second_round_records_have_addresses_and_a_hashed_split() -> None:
    """Records added in the second round (ids after the first round's, up to arxiv-172 and
    mention-063) name a real address, and their split is the hash rule fixed before any run:
    held2 when sha256's first byte is even."""
    records = _labelled()
    second = _round(records, 2)
    assert len(second) >= 140
    for r in second:
        assert r["origin"].startswith(("https://arxiv.org/abs/", "https://github.com/")), r["id"]
        digest = hashlib.sha256((r["abstract"] + "\x00" + (r["comment"] or "")).encode()).digest()
        assert r["split"] == ("held2" if digest[0] % 2 == 0 else "tune"), r["id"]


def test_third_round_records_are_the_held_out_part() -> None:
    """The third round (after arxiv-172 and mention-063) is held3 whole, committed before any
    run on it: at least 80 records, 25 of them sentences that link others' code. Each names
    where it was read: an arXiv page or a mirror's address, or for a sentence found by the code
    index's exact-string search, that index's file id ("id:..."), as the first round's do."""
    records = _labelled()
    third = _round(records, 3)
    assert {r["split"] for r in third} == {"held3"}
    assert all(r["split"] != "held3" for r in records if r not in third)
    assert len(third) >= 80 and sum(r["set"] == "mention" for r in third) >= 25
    for r in third:
        assert r["origin"].startswith(("https://", "id:")), r["id"]
    texts = [(r["abstract"], r["comment"]) for r in records]
    assert len(set(texts)) == len(texts)
    origins = [r["origin"] for r in records if not r["origin"].startswith("id:")]
    assert len(set(origins)) == len(origins)


def _paper(origin: str) -> str:
    """An arXiv page's paper id without scheme or version; any other origin as it is."""
    found = re.search(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", origin)
    return found.group(1) if found else origin


def test_fourth_round_records_are_the_held_out_part() -> None:
    """The fourth round (after arxiv-233 and mention-090) is held4 whole, committed before any
    run on it: at least 120 records, 50 of them real README or paper passages. arXiv cards are
    named by their page as the mirror gives it (``http://arxiv.org/abs/...``); no paper is in
    the set twice, however its page is written."""
    records = _labelled()
    fourth = _round(records, 4)
    assert {r["split"] for r in fourth} == {"held4"}
    assert all(r["split"] != "held4" for r in records if r not in fourth)
    assert len(fourth) >= 120 and sum(r["set"] == "mention" for r in fourth) >= 50
    for r in fourth:
        assert r["origin"].startswith(("https://", "http://", "id:")), r["id"]
        if r["set"] == "arxiv":
            assert r["via"].startswith("https://github.com/ArXCompass/"), r["id"]
    papers = [_paper(r["origin"]) for r in records if not r["origin"].startswith("id:")]
    assert len(set(papers)) == len(papers)


@pytest.mark.parametrize("text", [
    "Code: https://alice:ghp_SECRET123@github.com/Alice/Repo.",
    "Code: http://ghp_SECRET123@github.com/Alice/Repo",
    "Code: https://alice:ghp_SECRET123@www.github.com/Alice/Repo/tree/main",
])
def test_credentials_in_a_url_never_reach_the_link(text: str) -> None:
    """Issue 9: user info in an abstract's URL is dropped before the URL is stored or keyed."""
    [link] = paper_links(text, None)
    assert link.repo == "github.com/alice/repo"
    assert "SECRET" not in link.url and "@" not in link.url and "alice:" not in link.url
    assert link.url.startswith("https://") and "github.com/Alice/Repo" in link.url


def test_an_at_sign_after_the_host_is_kept() -> None:
    [link] = paper_links("see https://github.com/o/r?ref=a@b", None)
    assert link.url == "https://github.com/o/r?ref=a@b"


@pytest.mark.parametrize("text", [
    "\u0130stanbul: code at HTTPS://GitHub.com/O/R and gitlab.com/g/p",  # lower() grows the text
    "Istanbul: code at HTTPS://GitHub.com/O/R and gitlab.com/g/p",
])
def test_links_are_found_whatever_the_case_and_letters_around(text: str) -> None:
    assert repos(text) == [("github.com/o/r", "github"), ("gitlab.com/g/p", "gitlab")]


def test_a_field_keeps_at_most_max_spans_links() -> None:
    from crawler.urls import MAX_SPANS
    text = " ".join(f"github.com/o/r{i}" for i in range(MAX_SPANS + 50))
    links = extract_links(text, "abstract")
    assert len(links) == MAX_SPANS and links[-1].repo == f"github.com/o/r{MAX_SPANS - 1}"


@pytest.mark.parametrize("text", [
    "pip install 'git+https://github.com/o/r.git@v0.4#egg=x'",      # pip's VCS form with a ref
    "pip install git+https://github.com/o/r@main#egg=r",
    'pip install "git+https://github.com/o/r.git@refs/heads/dev#egg=r"',
    "pip install git+ssh://git@github.com/o/r.git@main",
    "git clone git://github.com/o/r.git",
    "tailored from https://github.dev/o/r/blob/main/src",            # GitHub's web editor
    "https://vscode.dev/github/o/r",
    "https://raw.github.com/o/r/master/setup.py",
    "https://codeload.github.com/o/r/zip/master",
    "https://api.github.com/repos/o/r/releases",
])
def test_pip_git_and_editor_forms_give_the_repository(text: str) -> None:
    assert repos(text) == GH


def test_a_ref_in_the_path_is_not_kept_in_the_key() -> None:
    assert normalise("https://gitlab.com/g/p.git@v1") == ("gitlab.com/g/p", "gitlab.com", "gitlab")
    assert normalise("https://github.dev/o/r") == ("github.com/o/r", "github.com", "github")
    [link] = extract_links("git clone git://github.com/o/r.git", "abstract")
    assert link.url == "https://github.com/o/r.git"


def test_a_markdown_link_with_the_next_sentence_glued_on() -> None:
    """'[x](URL).We appreciate': the link ends at its closing parenthesis (found by held4)."""
    links = extract_links("and [NeRFStudio](https://github.com/nerfstudio-project/nerfstudio)"
                          ".We appreciate", "abstract")
    assert [(lk.repo, lk.url) for lk in links] == [
        ("github.com/nerfstudio-project/nerfstudio",
         "https://github.com/nerfstudio-project/nerfstudio")]
    # balanced parentheses inside a URL stay; an unbalanced one ends it
    assert [lk.url for lk in extract_links(
        "(see https://github.com/a/b/blob/main/x_(y).md) and https://github.com/d/e)x",
        "abstract")] == ["https://github.com/a/b/blob/main/x_(y).md", "https://github.com/d/e"]


def test_fifth_round_records_are_the_held_out_part() -> None:
    """The fifth round (after arxiv-311 and mention-154) is held5 whole, committed before any
    run on it: at least 140 records, 60 of them README or paper passages, none linking a
    repository that an earlier round labelled a mention (new libraries, not the same ones)."""
    records = _labelled()
    fifth = _round(records, 5)
    assert {r["split"] for r in fifth} == {"held5"}
    assert all(r["split"] != "held5" for r in records if r not in fifth)
    assert len(fifth) >= 140 and sum(r["set"] == "mention" for r in fifth) >= 60
    earlier_mentions = {w["repo"] for r in records if r not in fifth for w in r["links"]
                        if w["official"] is False}
    passages = [r for r in fifth if r["set"] == "mention"]
    assert not {w["repo"] for r in passages for w in r["links"]} & earlier_mentions
    for r in fifth:
        assert r["origin"].startswith(("https://", "http://", "id:")), r["id"]
