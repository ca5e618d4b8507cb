"""The classifier reads what it has (issue 9 §8): most telling first, within a budget, counting
only files that are there; symbolic links and Git LFS pointers are never code."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from support.stored_repo import add_repo

from analysis.classifier import Budget, classify, classify_path
from analysis.sources import LocalSource, StoredSource
from analysis.stored import classify_stored
from crawler.selection import TreeEntry, select_files
from survey.core.db import transaction
from survey.core.settings import Settings

CONFIG = b"_base_ = ['../_base_/models/faster_rcnn_r50_fpn.py']\nmodel = dict(type='FasterRCNN')\n"
TRAIN = b"import argparse\nimport torch\nimport torch.nn as nn\n"
DETECTOR = b"import torch.nn as nn\nfrom torch.nn import functional as F\n"
LFS = (b"version https://git-lfs.github.com/spec/v1\n"
       b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
       b"size 12345\n")


def notes(result) -> list[str]:
    return [f"{e.file}: {e.seen}" if e.file else e.seen
            for e in result.evidence if e.framework is None]


def configs(n: int = 3200) -> dict[str, bytes]:
    return {f"configs/m{i // 100:02d}/cfg_{i:04d}.py": CONFIG for i in range(n)}


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def test_local_config_files_that_come_first_never_hide_the_code(tmp_path: Path) -> None:
    # The folder walk meets configs/ before basicsr/: 3,200 config files, more than the file
    # budget, used to fill it before the classifier reached the package.
    write(tmp_path, {**configs(), "basicsr/train.py": TRAIN,
                     "basicsr/models/sr_model.py": DETECTOR})
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert result.confidence > 0.7
    assert any("Python files not read: over the budget of 3,000 files" in n
               for n in notes(result))


def test_stored_config_files_that_sort_first_never_hide_the_code(conn: sqlite3.Connection
                                                                  ) -> None:
    # As the fetch stage stores it: the whole tree, and the files select_files chose.
    files = {**configs(), "tools/train.py": TRAIN, "mmdet/models/detector.py": DETECTOR,
             "requirements.txt": b"torch>=1.8\n"}
    tree = [TreeEntry(p, "blob", hashlib.sha1(b).hexdigest(), len(b)) for p, b in files.items()]
    chosen = {c.path for c in select_files(tree, Settings())}
    assert {"tools/train.py", "mmdet/models/detector.py", "requirements.txt"} <= chosen
    add_repo(conn, "github.com/open-mmlab/x", files={p: files[p] for p in chosen},
             tree_only=tuple(sorted(set(files) - chosen)))
    add_repo(conn, "github.com/open-mmlab/y", files={p: files[p] for p in chosen})
    classify_stored(conn)
    x = classify(StoredSource(conn, "github.com/open-mmlab/x"))
    y = classify(StoredSource(conn, "github.com/open-mmlab/y"))
    assert x.framework == "pytorch"
    # Files never downloaded are noted, not counted: the verdict is the one on what was read.
    assert (x.frameworks, x.confidence) == (y.frameworks, y.confidence)
    missing = len(files) - len(chosen)
    assert f"{missing} Python files or notebooks in the tree not downloaded: not counted" \
        in notes(x)
    assert not any("not read" in n for n in notes(x))


def test_a_stored_tree_with_nothing_downloaded_is_unknown_not_none(conn: sqlite3.Connection
                                                                   ) -> None:
    add_repo(conn, "github.com/a/x", tree_only=("train.py", "model.py"))
    result = classify(StoredSource(conn, "github.com/a/x"))
    assert result.framework == "unknown"
    assert "nothing to judge: 2 code files listed, none downloaded" in notes(result)


def test_byte_budget_skips_what_does_not_fit_and_reads_the_rest(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": TRAIN, "model.py": b"import tensorflow as tf\n" + b"#" * 5000,
                     "utils.py": b"import numpy\n"})
    result = classify_path(tmp_path, budget=Budget(code_files=10, code_bytes=1000))
    assert result.framework == "pytorch" and "tensorflow" not in result.frameworks
    assert "1 Python file not read: over the budget of 10 files and 1,000 bytes (the most " \
           "telling were read first)" in notes(result)


def test_empty_files_count_the_same_stored_and_local(tmp_path: Path,
                                                     conn: sqlite3.Connection) -> None:
    files = {"pkg/__init__.py": b"", "pkg/a/__init__.py": b"", "pkg/core.py": b"import numpy\n"}
    write(tmp_path, files)
    # The fetch stage never downloads an empty file: the tree says it is empty.
    add_repo(conn, "github.com/a/x", files={"pkg/core.py": files["pkg/core.py"]})
    with transaction(conn):
        for path in ("pkg/__init__.py", "pkg/a/__init__.py"):
            conn.execute("INSERT INTO tree_entries (repo, path, type, sha, size)"
                         " VALUES ('github.com/a/x', ?, 'blob', 'e69de29', 0)", (path,))
    local = classify_path(tmp_path)
    stored = classify(StoredSource(conn, "github.com/a/x"))
    assert (local.framework, local.frameworks, local.confidence) == (
        stored.framework, stored.frameworks, stored.confidence)
    assert local.framework == "none"


def test_local_symlinks_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, {"models/net.py": DETECTOR, "util.py": b"import numpy\n"})
    (tmp_path / "net_link.py").symlink_to(tmp_path / "models" / "net.py")
    (tmp_path / "requirements.txt").symlink_to(tmp_path / "util.py")
    result = classify_path(tmp_path)
    assert result.framework == "pytorch"
    assert not any(e.file == "net_link.py" and e.framework for e in result.evidence)
    assert "net_link.py: symbolic link: not code, not read" in notes(result)
    assert "requirements.txt: symbolic link: not code, not read" in notes(result)
    source = LocalSource(tmp_path)
    assert {e.path: e.mode for e in source.entries()}["net_link.py"] == "120000"


def test_lfs_pointers_are_not_code(tmp_path: Path, conn: sqlite3.Connection) -> None:
    files = {"weights/model.py": LFS, "data/loader.py": LFS, "README.md": b"# x\n"}
    write(tmp_path, files)
    local = classify_path(tmp_path)
    assert local.framework == "unknown"   # not `none`: no code was read at all
    assert "weights/model.py: Git LFS pointer: not code, not read" in notes(local)
    add_repo(conn, "github.com/a/lfs", files=files)
    stored = classify(StoredSource(conn, "github.com/a/lfs"))
    assert (stored.framework, stored.confidence) == ("unknown", 0.0)
    assert "weights/model.py: Git LFS pointer: not code, not read" in notes(stored)
    # Next to real code an LFS pointer neither counts nor lowers the confidence.
    write(tmp_path, {"train.py": TRAIN})
    with_code = classify_path(tmp_path)
    assert with_code.framework == "pytorch"
    assert not any("not read" in n and "LFS" not in n for n in notes(with_code))


def test_stored_symlink_blobs_are_not_code(conn: sqlite3.Connection) -> None:
    # A symlink fetched before tree modes were passed: its blob is the target's path.
    add_repo(conn, "github.com/a/link", files={"train.py": TRAIN, "main.py": b"../train.py",
                                               "lib/model.py": b"../../shared/model.py"})
    result = classify(StoredSource(conn, "github.com/a/link"))
    assert result.framework == "pytorch"
    said = notes(result)
    assert "main.py: symbolic link (its blob is a path): not code, not read" in said
    assert not any("read with" in n for n in said)      # never parsed as Python
