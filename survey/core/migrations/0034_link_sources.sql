-- More link sources (issue 13): the Papers With Code archive and Hugging Face Papers beside the
-- abstract and comment. Numbers 0032 and 0033 belong to other branches.

-- Every source that found a (paper, repository) link, each with its own verdict and URL.
-- ``links`` keeps one merged row per (paper, repository), rebuilt from these rows by the store
-- whenever a paper's sources change: official when any source says so, ``source`` and ``url``
-- from the first source in the order abstract, comment, pwc, hf.
CREATE TABLE link_sources (
    arxiv_id TEXT NOT NULL REFERENCES papers (arxiv_id) ON DELETE CASCADE,
    repo     TEXT NOT NULL,                  -- host/owner/name, lower case, as linked
    source   TEXT NOT NULL CHECK (source IN ('abstract', 'comment', 'pwc', 'hf')),
    host     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    url      TEXT NOT NULL,
    official INTEGER NOT NULL,
    PRIMARY KEY (arxiv_id, repo, source)
) WITHOUT ROWID;

-- The links stored so far came from the abstract or the comment.
INSERT INTO link_sources (arxiv_id, repo, source, host, kind, url, official)
SELECT arxiv_id, repo, source, host, kind, url, official FROM links
WHERE source IN ('abstract', 'comment');

-- The Papers With Code archive's rows, validated, for harvested papers and for papers not
-- harvested yet (attached when a harvest writes them). Only repository kinds are kept.
CREATE TABLE pwc_links (
    arxiv_id  TEXT NOT NULL,                 -- without version
    repo      TEXT NOT NULL,                 -- the normalised key of repo_url
    host      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    url       TEXT NOT NULL,                 -- repo_url as in the archive
    official  INTEGER NOT NULL,              -- is_official
    in_paper  INTEGER,                       -- mentioned_in_paper
    in_github INTEGER,                       -- mentioned_in_github
    run_id    INTEGER NOT NULL,              -- the import that last read the row
    PRIMARY KEY (arxiv_id, repo)
) WITHOUT ROWID;

-- Papers With Code's framework per repository: its own token and survey's label for it
-- (NULL for a token survey does not know).
CREATE TABLE pwc_frameworks (
    repo   TEXT PRIMARY KEY,                 -- the normalised key of repo_url
    token  TEXT NOT NULL,                    -- as in the archive, lower case
    label  TEXT CHECK (label IN ('pytorch', 'tensorflow', 'jax', 'other', 'none')),
    run_id INTEGER NOT NULL
) WITHOUT ROWID;

-- What Hugging Face Papers answered for a paper, so a later run asks again only after a while.
CREATE TABLE hf_asks (
    arxiv_id     TEXT PRIMARY KEY REFERENCES papers (arxiv_id) ON DELETE CASCADE,
    asked_at     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('repo', 'indexed', 'not_indexed')),
    github_repo  TEXT,                       -- as answered (bounded), kept or not
    project_page TEXT
) WITHOUT ROWID;

-- A paper's sources per canonical repository (aliases followed), for readers that need them.
CREATE VIEW paper_repo_sources AS
SELECT s.arxiv_id AS arxiv_id,
       COALESCE(a.repo, s.repo) AS repo,
       s.source AS source,
       MIN(s.kind) AS kind,
       MAX(s.official) AS official
FROM link_sources s
LEFT JOIN repo_aliases a ON a.alias = s.repo
GROUP BY s.arxiv_id, COALESCE(a.repo, s.repo), s.source;
