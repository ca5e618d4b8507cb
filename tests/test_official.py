"""The own-code / mention judgement (crawler/official.py) on the sentence forms issue 12 names."""

from __future__ import annotations

import pytest

from crawler.links import JUDGE, extract_links, paper_links
from crawler.official import OfficialModel, context_features, train_model

URL = "https://github.com/a/b"


@pytest.mark.parametrize("sentence", [
    f"Our code is available at {URL}.",
    f"We release the models at {URL}.",
    f"Code is available at {URL}.",
    f"The code will be made public at {URL}.",
    URL,
])
def test_own(sentence: str) -> None:
    assert [lk.official for lk in extract_links(sentence, "abstract")] == [True]


@pytest.mark.parametrize("sentence", [
    f"We build on the implementation in {URL} and extend it.",
    f"Experiments use the public toolkit at {URL}.",
    f"We use the implementation at {URL}.",
    f"We compare with {URL}.",
    f"We fine-tune the model at {URL} on our data.",
    f"The model is implemented with {URL}.",
    f"Our method is based on {URL}.",
    f"Pretrained weights provided by {URL}.",
    f"This code requires the framework [x]({URL}) added to your environment.",
    f"- Install [x]({URL})",
])
def test_mention(sentence: str) -> None:
    assert [lk.official for lk in extract_links(sentence, "abstract")] == [False]


def test_a_list_under_an_acknowledgement_heading_is_a_mention() -> None:
    text = f"## Acknowledgement\n\n- [MMCV]({URL}): a library.\n- [X](https://github.com/c/d)"
    assert [lk.official for lk in extract_links(text, "abstract")] == [False, False]
    # ... unless the item says the code is the authors' own
    text = f"## Credits\nOur code is at {URL}."
    assert [lk.official for lk in extract_links(text, "abstract")] == [True]


def test_a_heading_elsewhere_changes_nothing() -> None:
    text = f"## Usage\n\n- [tool]({URL})"
    assert [lk.official for lk in extract_links(text, "abstract")] == [True]


def test_cjk_use_cue() -> None:
    text = "- **模型**: [`o/m`](https://huggingface.co/o/m) — `AutoModel` 사용"
    assert [lk.official for lk in extract_links(text, "abstract")] == [False]


def test_learned_model_round_trip() -> None:
    rows = [(f"We build on {URL}.", False), (f"Our code is at {URL}.", True),
            (f"We use {URL}.", False), (f"Code: {URL}", True)] * 3
    texts = [f for text, _ in rows for f, _repo in context_features(text, None)]
    labels = [own for _, own in rows]
    model = train_model(texts, labels)
    assert OfficialModel.from_json(model.to_json()) == model
    links = paper_links(f"Our code is at {URL}. We build on https://github.com/c/d.", None)
    relabelled = model.relabel(f"Our code is at {URL}. We build on https://github.com/c/d.",
                               None, links)
    assert [(lk.repo, lk.official) for lk in relabelled] == [("github.com/a/b", True),
                                                             ("github.com/c/d", False)]
    assert train_model(["b:x"], [True]).probability("b:x") > 0.5  # one class: a constant


def test_a_known_library_is_a_mention_unless_the_sentence_speaks_for_the_authors() -> None:
    lib = "https://github.com/open-mmlab/mmsegmentation"
    assert [lk.official for lk in extract_links(f"Source Code: {lib}", "abstract")] == [False]
    assert [lk.official for lk in extract_links(f"We present MMSeg, available at {lib}.",
                                                "abstract")] == [True]
    # a repository that is not a known library keeps the label's reading
    assert [lk.official for lk in extract_links(f"Source Code: {URL}", "abstract")] == [True]


def test_a_key_with_a_mention_cue_and_only_bare_repeats_is_a_mention() -> None:
    text = ("2. Install [apex](https://github.com/NVIDIA/apex) for mixed-precision training\n\n"
            "```bash\ngit clone https://github.com/NVIDIA/apex\ncd apex")
    assert [lk.official for lk in extract_links(text, "abstract")] == [False]
    # an own cue on any mention still wins
    text = f"We use {URL} here. Our code is at {URL}."
    assert [lk.official for lk in extract_links(text, "abstract")] == [True]


def test_this_framework_is_not_a_library_mention() -> None:
    text = f"We release the codes of this framework\\footnote{{\\url{{{URL}}}}} and hope."
    assert [lk.official for lk in extract_links(text, "abstract")] == [True]
    text = f"We run it with the PyTorch Lightning framework ({URL})."
    assert [lk.official for lk in extract_links(text, "abstract")] == [False]


def test_a_list_under_a_datasets_heading_is_a_mention() -> None:
    text = f"## Datasets:\nThese datasets can be found below:\n- WikiSQL: Available at {URL}"
    assert [lk.official for lk in extract_links(text, "abstract")] == [False]


def test_the_committed_model_loads_and_the_judge_is_named() -> None:
    model = OfficialModel.load()
    assert model.weights and all(isinstance(v, float) for v in model.weights.values())
    assert JUDGE in ("rules", "model")
    features = context_features(f"Our code is at {URL}.", None)[0][0]
    assert "rule:own" in features.split()
    assert model.probability(features) > 0.5


def _official(text: str) -> list[bool]:
    return [lk.official for lk in extract_links(text, "abstract")]


def test_a_named_list_after_references_in_code_comments_is_a_mention() -> None:
    text = ("# ----------------\n# References:\n# DeiT: https://github.com/facebookresearch/deit\n"
            "# BEiT: https://github.com/microsoft/unilm/tree/master/beit\n"
            "# MAE: https://github.com/facebookresearch/mae\n# ----------------")
    assert _official(text) == [False, False, False]


@pytest.mark.parametrize("label", ["References", "Resources", "Related projects", "See also"])
def test_a_label_line_that_lists_others_work_is_a_heading(label: str) -> None:
    text = f"{label}:\n\n- [tool]({URL})"
    assert _official(text) == [False]


def test_a_label_on_the_links_line_introduces_others_work() -> None:
    assert _official(f"References: DeiT: {URL}") == [False]
    assert _official(f"Related: {URL}") == [False]


def test_a_third_party_inventory_is_a_mention() -> None:
    text = ("Current inclusions within this `third_party` directory:\n\n- linguist\n"
            "  - Use: Source of language information.\n"
            f"  - Repository: [github-linguist/linguist]({URL})\n")
    assert _official(text) == [False]


def test_a_table_or_list_of_named_repositories_is_a_mention() -> None:
    text = (f"| [a/b]({URL}) | 62,180 | AGPL-3.0 |\n"
            "| [c/d](https://github.com/c/d) | 91,056 | Apache-2.0 |")
    assert _official(text) == [False, False]
    text = (f"- [fairseq](https://github.com/x/fairseq): a seq2seq library\n"
            f"- [pyg](https://www.pyg.org), [tf_geometric]({URL}): graph networks")
    assert _official(text) == [False, False]


@pytest.mark.parametrize("text", [
    # own labels, the first person or an own cue keep a list of links the authors'
    f"Code: {URL}\nModels: https://huggingface.co/a/b",
    f"- [Code]({URL})\n- [Project page](https://a.github.io/b)",
    f"- [SparseRCNN]({URL}): our implementation\n- [X](https://github.com/a/c): ours too",
    f"- [SparseRCNN]({URL}): code for the paper\n- [X](https://github.com/a/c): ours",
    # one named link alone is not a list
    f"- [tool]({URL})",
])
def test_lists_that_stay_own(text: str) -> None:
    assert all(_official(text))


def test_a_typo_base_on_is_still_a_mention() -> None:
    text = f"Improved evaluation codes for captioning metrics (base on [coco-caption]({URL}))."
    assert _official(text) == [False]


def test_paper_links_uses_the_judge_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """``paper_links`` applies the learned model when the judge is "model" (the crawl's default
    is ``JUDGE``); the rules stay the rules."""
    import crawler.links as links_mod

    text = f"We build on the public toolkit at {URL} and extend it."
    assert [lk.official for lk in paper_links(text, None, judge="rules")] == [False]
    always_own = OfficialModel(weights={}, bias=4.0)
    monkeypatch.setattr(links_mod, "_model", lambda: always_own)
    assert [lk.official for lk in paper_links(text, None, judge="model")] == [True]
    assert [lk.official for lk in paper_links(text, None)] == (
        [True] if JUDGE == "model" else [False])


def test_a_link_credited_to_someone_is_a_mention() -> None:
    """'by <someone>' right after a link names its authors, even after an own-looking label."""
    assert _official(f"- Model: [GLM]({URL}) by Z.ai.\n- Data: [D](https://github.com/c/d)"
                     " by Lab X.") == [False, False]
    assert _official(f"- Engine: [TF]({URL}) by turboderp and contributors") == [False]
    # not a credit: how to use it, or the authors themselves
    assert _official(f"Code: {URL} by running `make`.") == [True]
    assert _official(f"Code: {URL} by our team.") == [True]


def test_the_address_of_a_reference_entry_is_a_mention() -> None:
    """IEEE-style references end in 'Available: URL' after a quoted title: cited work."""
    text = (f'We use the implementation provided by:\n\nlindevs,\n"YOLOv8-Face: Pre-trained '
            f'Models,"\nGitHub repository.\nAvailable: {URL}')
    assert _official(text) == [False]
    assert _official(f'[3] A. Author, "A Tool," 2023. [Online]. Available: {URL}') == [False]
    # "available:" without a reference entry keeps its own reading
    assert _official(f"Our code is available: {URL}") == [True]


def test_open_source_as_an_adjective_is_not_a_release() -> None:
    """'we open-source' releases; 'the open-source projects of [A](URL)' names others' work."""
    text = (f"## Acknowledgment\nOur code is built on the open-source projects of [A]({URL}), "
            "[B](https://github.com/c/d) and [E](https://github.com/e/f).")
    assert _official(text) == [False, False, False]
    assert _official(f"The model is [X]({URL}), an open source version of the original.") == [
        False]
    assert _official(f"We open-source our code at {URL}.") == [True]
    assert _official(f"Code is open-sourced at {URL}.") == [True]


def test_upon_names_what_the_code_builds_on() -> None:
    assert _official(f"Our code is bulit upon [VQGAN]({URL}).") == [False]
    assert _official(f"Code will be released upon acceptance at {URL}.") == [True]


def test_follow_the_link_is_not_following_others_work() -> None:
    assert _official(f"To see our implementation follow the [link]({URL}).") == [True]
    assert _official(f"We follow the protocol of {URL}.") == [False]


def test_cues_are_read_the_same_when_lower_case_changes_the_length() -> None:
    """Cues are matched on the lower-cased sentence; 'İ' lower-cases to two characters, so
    such a sentence is read with the case-blind patterns instead, to the same verdicts."""
    assert _official(f"İzmir lab. Our code is at {URL}.") == [True]
    assert _official(f"İzmir lab: we build on {URL}.") == [False]
    assert _official(f"İzmir lab: the data are publicly available at {URL}.") == [True]
    assert _official(f"OUR CODE IS AT {URL}.") == [True]
