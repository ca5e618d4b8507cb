"""A varied GitHub world for the GraphQL tests, and what a fetch stored, for comparing runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from support.github_server import GitHubServer, add_link
from survey.core.settings import Settings

TOKEN = "ghp_graphqlTESTtokenGRAPHQLtest000000"
ROOT = Path(__file__).resolve().parent.parent.parent


def settings(gh: GitHubServer, api: str, **kw: Any) -> Settings:
    base: dict[str, Any] = dict(
        github_api_url=gh.api_url, github_raw_url=gh.raw_url, github_token=TOKEN,
        github_api=api, http_timeout=5.0, http_backoff=0.01, http_retries=2,
        github_secondary_wait=0.2, raw_workers=2,
    )
    base.update(kw)
    return Settings(**base)


def deep_files(depth: int) -> dict[str, bytes]:
    """A package nested ``depth`` folders deep (deeper than one GraphQL answer's levels)."""
    path = "/".join(f"d{i}" for i in range(depth))
    return {f"{path}/model.py": b"import jax\nimport flax\n", "README.md": b"# deep\n"}


def varied_world(gh: GitHubServer, conn: sqlite3.Connection, n_plain: int = 12) -> list[str]:
    """Repositories of every kind the fetch meets, each linked by a paper; the linked keys."""
    model = gh.model
    linked: list[str] = []

    def link(name: str, official: bool = True) -> None:
        key = f"github.com/{name.lower()}"
        add_link(conn, f"2101.{len(linked):05d}", key, official=official)
        linked.append(key)

    for i in range(n_plain):
        files = {f"src/mod{j}.py": f"import torch\n# {i} {j}\n".encode() for j in range(i % 5)}
        files["train.py"] = f"import torch\n# {i}\n".encode()
        files["requirements.txt"] = b"torch>=2\nnumpy\n"
        if i % 3 == 0:
            files["notebooks/demo.ipynb"] = b'{"cells": [], "i": %d}' % i
        if i % 4 == 0:
            files["third_party/lib/vendored.py"] = b"import tensorflow as tf\n"
        model.add_repo(f"Lab{i % 3}/Plain{i}", files, stars=i, language="Python")
        link(f"Lab{i % 3}/Plain{i}", official=i % 2 == 0)
    model.add_repo("Tf/Keras1", {"model.py": b"import tensorflow as tf\nimport keras\n",
                                 "setup.py": b"install_requires=['tensorflow']\n",
                                 "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0binary"})
    link("Tf/Keras1")
    model.add_repo("Deep/Nest", deep_files(12))
    link("Deep/Nest")
    big = b"import torch\n" + b"# padding line to make a file bigger than 512,000 bytes\n" * 11_000
    model.add_repo("Big/Text", {"train.py": big, "requirements.txt": b"torch\n"})
    link("Big/Text")
    model.add_repo("Sub/Mod", {"main.py": b"import jax\n"}).submodules["vendor/x"] = "a" * 40
    link("Sub/Mod")
    model.add_repo("Lua/Torch7", {"model.lua": b"require 'nn'\n", "init.lua": b"require 'torch'\n"})
    link("Lua/Torch7")
    model.add_repo("Em/Pty")
    link("Em/Pty")
    model.add_repo("New/Name", {"net.py": b"import torch\n"})
    model.rename("New/Name", "Old/Name")
    model.rename("Old/Name", "New/Name")
    link("Old/Name")   # linked under its old name only
    model.add_repo("Twice/Now", {"net.py": b"import tensorflow\n"})
    model.rename("Twice/Now", "Twice/Then")
    model.rename("Twice/Then", "Twice/Now")
    link("Twice/Then")  # linked under both names
    link("Twice/Now")
    model.add_repo("Dm/Ca", {"x.py": b"import torch\n"})
    model.block("Dm/Ca", "dmca")
    link("Dm/Ca")
    model.add_repo("Tos/Off", {"x.py": b"import torch\n"})
    model.block("Tos/Off", "tos")
    link("Tos/Off")
    link("Gone/Missing")
    link("bad..name/x")
    conn.commit()
    return linked


def stored(conn: sqlite3.Connection) -> dict[str, Any]:
    """What a fetch stored, without the columns that say when or by which API."""
    repos = {r["repo"]: (r["status"], r["remote_id"], r["full_name"], r["default_branch"],
                         r["head_sha"], r["created_at"], r["pushed_at"], r["stars"], r["fork"],
                         r["archived"], r["language"], r["size_kb"])
             for r in conn.execute("SELECT * FROM repos")}
    return {
        "repos": repos,
        "aliases": sorted(tuple(r) for r in conn.execute("SELECT alias, repo FROM repo_aliases")),
        "tree": sorted(tuple(r) for r in conn.execute(
            "SELECT repo, path, type, sha, size FROM tree_entries")),
        "files": sorted(tuple(r) for r in conn.execute(
            "SELECT repo, path, sha, role FROM repo_files")),
        "blobs": {r[0]: zlib.decompress(r[1]) for r in conn.execute(
            "SELECT sha, content FROM blobs")},
    }


def survey_cli(*args: str, env: dict[str, str], timeout: float = 120
               ) -> subprocess.CompletedProcess[str]:
    """``survey ARGS`` in a subprocess with only ``env`` of the survey/GitHub variables."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "GITHUB_"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "survey.cli", *args], capture_output=True,
                          text=True, env=full, timeout=timeout, cwd=ROOT)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a folder with its bytes: equal before and after means nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}
