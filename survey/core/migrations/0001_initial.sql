-- Initial schema: every stage's tables. Dates are ISO 8601 text in UTC.

-- arXiv papers, one row per paper (id without version); a newer version updates the row.
CREATE TABLE papers (
    arxiv_id         TEXT PRIMARY KEY,
    version          INTEGER NOT NULL,
    title            TEXT NOT NULL,
    abstract         TEXT NOT NULL,
    comment          TEXT,
    journal_ref      TEXT,
    doi              TEXT,
    primary_category TEXT NOT NULL,
    categories       TEXT NOT NULL,          -- space separated, as arXiv lists them
    authors          TEXT NOT NULL,          -- JSON list of names
    published        TEXT NOT NULL,          -- first version (v1), UTC
    updated          TEXT NOT NULL,          -- the stored version, UTC
    harvested_at     TEXT NOT NULL
);
CREATE INDEX papers_published ON papers (published);

-- Harvest windows: one arXiv query each. status 'complete' is skipped by later crawls (except
-- recent ones); 'short' means fewer papers came back than the API's total and is retried.
CREATE TABLE harvest_windows (
    start       TEXT NOT NULL,               -- inclusive, YYYY-MM-DDTHH:MM
    end         TEXT NOT NULL,               -- exclusive
    categories  TEXT NOT NULL,               -- the sorted, space separated category set
    status      TEXT NOT NULL CHECK (status IN ('complete', 'short', 'split')),
    total       INTEGER,                     -- opensearch:totalResults
    fetched     INTEGER,                     -- distinct papers received
    requests    INTEGER,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (start, end, categories)
);

-- Code links found in a paper's abstract and comment.
CREATE TABLE links (
    arxiv_id TEXT NOT NULL REFERENCES papers (arxiv_id) ON DELETE CASCADE,
    repo     TEXT NOT NULL,                  -- host/owner/name, lower case, as linked
    host     TEXT NOT NULL,                  -- github.com, gitlab.com, huggingface.co, ...
    kind     TEXT NOT NULL,                  -- github, gitlab, bitbucket, codeberg, hf-model, hf-space, hf-dataset, project-page, other
    url      TEXT NOT NULL,                  -- the URL as found (normalised scheme)
    official INTEGER NOT NULL,               -- 1: the paper's own code
    source   TEXT NOT NULL,                  -- 'abstract' or 'comment'
    PRIMARY KEY (arxiv_id, repo)
);
CREATE INDEX links_repo ON links (repo);

-- Repositories, keyed by their canonical host/owner/name (lower case).
CREATE TABLE repos (
    repo           TEXT PRIMARY KEY,
    host           TEXT NOT NULL,
    remote_id      TEXT,                     -- GitHub id / GitLab project id: stable across renames
    full_name      TEXT,                     -- as the host spells it
    default_branch TEXT,
    head_sha       TEXT,
    created_at     TEXT,
    pushed_at      TEXT,
    stars          INTEGER,
    fork           INTEGER,
    archived       INTEGER,
    language       TEXT,
    size_kb        INTEGER,
    etag           TEXT,                     -- of the metadata answer, for If-None-Match
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'ok', 'truncated', 'missing', 'blocked', 'empty',
                                     'error', 'not_fetched')),
    status_detail  TEXT,
    first_seen     TEXT NOT NULL,
    checked_at     TEXT,
    UNIQUE (host, remote_id)
);

-- Old names (renames, transfers) that resolve to a canonical repo.
CREATE TABLE repo_aliases (
    alias TEXT PRIMARY KEY,
    repo  TEXT NOT NULL REFERENCES repos (repo) ON DELETE CASCADE
);

-- The whole tree of the fetched commit (paths and sizes).
CREATE TABLE tree_entries (
    repo TEXT NOT NULL REFERENCES repos (repo) ON DELETE CASCADE,
    path TEXT NOT NULL,
    type TEXT NOT NULL,                      -- blob, tree, commit (submodule)
    sha  TEXT,
    size INTEGER,
    PRIMARY KEY (repo, path)
);

-- File contents, zlib-compressed, keyed by git blob sha: a file shared by forks is stored once.
CREATE TABLE blobs (
    sha     TEXT PRIMARY KEY,
    size    INTEGER NOT NULL,                -- uncompressed bytes
    content BLOB NOT NULL
);

-- Which blobs were selected for a repository, and why.
CREATE TABLE repo_files (
    repo TEXT NOT NULL REFERENCES repos (repo) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha  TEXT NOT NULL REFERENCES blobs (sha),
    role TEXT NOT NULL,                      -- manifest, python, notebook, other
    PRIMARY KEY (repo, path)
);

-- The classifier's verdict per repository, with its evidence.
CREATE TABLE classifications (
    repo               TEXT PRIMARY KEY REFERENCES repos (repo) ON DELETE CASCADE,
    framework          TEXT NOT NULL
                       CHECK (framework IN ('pytorch', 'tensorflow', 'jax', 'other', 'none', 'unknown')),
    frameworks         TEXT NOT NULL,        -- JSON object name -> score
    confidence         REAL NOT NULL,
    evidence           TEXT NOT NULL,        -- JSON list
    classifier_version TEXT NOT NULL,
    head_sha           TEXT,                 -- the commit classified
    classified_at      TEXT NOT NULL
);

-- Every run of a command: what it did, requests by service, outcome.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT NOT NULL DEFAULT 'running',   -- running, ok, failed, interrupted
    summary     TEXT,                              -- JSON
    requests    TEXT                               -- JSON {service: count}
);

-- Small key/value facts (e.g. last refresh marker).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
