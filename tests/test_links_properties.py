"""Property tests of the link extractor: it never raises, normalising is idempotent, keys match
the documented pattern, and adversarial megabyte inputs finish (a regex pass, no backtracking)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.links import KINDS, REPO_KEY_PATTERN, extract_links, normalise, paper_links

HOSTS = ["github.com", "GitHub.com", "www.github.com", "gist.github.com", "x.github.io",
         "raw.githubusercontent.com", "gitlab.com", "gitlab.inria.fr", "bitbucket.org",
         "codeberg.org", "huggingface.co", "hf.co", "sourceforge.net", "a.sourceforge.io",
         "git.uni.edu", "gitee.com", "git.sr.ht", "example.org", "colab.research.google.com"]
SEGMENTS = ["o", "Owner", "repo.git", "-", "tree", "blob", "spaces", "datasets", "features",
            "projects", "github", "..", ".", "r.git.", "name_1", "~u", "index.html", "x%20y",
            "資料", "a(b)", "", "0123abcdef", "resolve", "groups", "p"]

url_like = st.builds(
    lambda scheme, host, segs, tail: scheme + host + "".join("/" + s for s in segs) + tail,
    st.sampled_from(["", "http://", "https://", "HTTPS://", "ftp://"]),
    st.sampled_from(HOSTS),
    st.lists(st.sampled_from(SEGMENTS) | st.text(max_size=6), max_size=6),
    st.sampled_from(["", "/", ".", ").", "?tab=x", "#readme", ".git", "}", "\n", "..."]),
)
# Text that mixes prose, LaTeX, line breaks and URLs, so the interesting paths are reached.
mixed_text = st.lists(
    url_like | st.text(max_size=20)
    | st.sampled_from([" ", "\n", "\n  ", r"\url{", "}", "(", ")", r"\_", "Code: ", "we use ",
                       "based on ", "。", "e.g. ", "https://", "github.com/"]),
    max_size=30,
).map("".join)


def check_links(links: list, source: str) -> None:
    repos = [lk.repo for lk in links]
    assert len(repos) == len(set(repos))
    for lk in links:
        assert REPO_KEY_PATTERN.fullmatch(lk.repo), lk.repo
        assert lk.repo == lk.repo.lower()
        assert lk.kind in KINDS
        assert lk.url.startswith("https://")
        assert lk.source == source
        assert normalise(lk.url) == (lk.repo, lk.host, lk.kind)
        assert normalise(lk.repo) == (lk.repo, lk.host, lk.kind)


@given(st.text())
def test_extraction_never_raises_on_any_text(text: str) -> None:
    check_links(extract_links(text, "abstract"), "abstract")


@given(mixed_text)
def test_extraction_on_url_heavy_text(text: str) -> None:
    check_links(extract_links(text, "comment"), "comment")


NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True)
PROSE = st.text(alphabet=st.characters(blacklist_characters="/:\\", blacklist_categories=("Cs",)),
                max_size=200)


@given(NAME, NAME, st.sampled_from(["https://", "http://", ""]), st.data())
def test_wrapped_github_url_gives_the_same_repo(owner: str, name: str, scheme: str,
                                                data: st.DataObject) -> None:
    """arXiv wraps lines anywhere a URL allows: after a slash, or after - or _ in a name."""
    url = f"{scheme}github.com/{owner}/{name}"
    cuts = [i + 1 for i, ch in enumerate(url) if ch in "/-_" and i + 1 < len(url)
            and i >= len(scheme) + len("github.com")]
    cut = data.draw(st.sampled_from(cuts)) if cuts else len(url)
    text = f"Code is available at {url[:cut]}\n  {url[cut:]} and more."
    assert [lk.repo for lk in extract_links(text, "abstract")] == [
        f"github.com/{owner.lower()}/{name.lower().rstrip('.')}"]


@given(PROSE, PROSE, NAME, NAME)
def test_prose_around_a_link_never_changes_it(before: str, after: str, owner: str,
                                              name: str) -> None:
    text = f"{before} https://github.com/{owner}/{name} {after}"
    repos = [lk.repo for lk in extract_links(text, "abstract")]
    assert f"github.com/{owner.lower()}/{name.lower()}" in repos


@given(url_like | st.text())
def test_normalise_is_idempotent(url: str) -> None:
    found = normalise(url)
    if found is not None:
        repo, host, kind = found
        assert REPO_KEY_PATTERN.fullmatch(repo)
        assert kind in KINDS
        assert normalise(repo) == found
        assert normalise("https://" + repo) == found
        assert normalise(repo.upper()) == found


@given(mixed_text, st.none() | mixed_text)
def test_paper_links_dedup_and_order(abstract: str, comment: str | None) -> None:
    links = paper_links(abstract, comment)
    repos = [lk.repo for lk in links]
    assert len(repos) == len(set(repos))
    sources = [lk.source for lk in links]
    assert sources == sorted(sources)  # "abstract" before "comment"
    from_abstract = {lk.repo for lk in extract_links(abstract, "abstract")}
    assert {lk.repo for lk in links if lk.source == "abstract"} == from_abstract


MB = 1_000_000
ADVERSARIAL = {
    "dots": "a." * (MB // 2),
    "hosts": "github.com/" * (MB // 11),
    "schemes": "https://" * (MB // 8),
    "parens": "https://github.com/o/r" + "(" * (MB // 2) + ")" * (MB // 2),
    "closing": "github.com/o/r" + ")" * MB,
    "wraps": "github.com/o/a-\n" * (MB // 16),
    "subdomains": "x-" * (MB // 4) + ".github.io " + "gitlab." * (MB // 14),
    "one-url": "https://github.com/o/" + "a" * MB,
    "cues": "we use our code based on available " * (MB // 36) + "github.com/o/r",
    "links": "github.com/o/r " * (MB // 15),
    "latex": "\\_" * (MB // 2),
    "distinct": " ".join(f"github.com/o/r{i}" for i in range(MB // 20)),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))  # every one, not a random draw of them
def test_megabyte_adversarial_inputs_finish(name: str) -> None:
    """Each finishes in well under a second (measured in benchmarks/); here: finishes, sane."""
    text = ADVERSARIAL[name]
    links = extract_links(text, "abstract")
    check_links(links, "abstract")
