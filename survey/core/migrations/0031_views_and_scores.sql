-- The store owns the recurring joins, and framework scores become rows (issue 10).

-- A paper's links resolved to canonical repositories through aliases: one row per (paper,
-- repository), official if any link says so. Read by fetch, dataset, export and report.
CREATE VIEW paper_repos AS
SELECT l.arxiv_id AS arxiv_id,
       COALESCE(a.repo, l.repo) AS repo,
       MIN(l.kind) AS kind,
       MAX(l.official) AS official
FROM links l
LEFT JOIN repo_aliases a ON a.alias = l.repo
GROUP BY l.arxiv_id, COALESCE(a.repo, l.repo);

-- Aliases are looked up by the repository they point to when renames merge rows.
CREATE INDEX repo_aliases_repo ON repo_aliases (repo);
-- Blob pruning asks which shas any repository still references.
CREATE INDEX repo_files_sha ON repo_files (sha);

-- One row per (repository, specific framework) score, instead of a JSON object.
CREATE TABLE classification_scores (
    repo      TEXT NOT NULL REFERENCES classifications (repo) ON DELETE CASCADE
                                                             ON UPDATE CASCADE,
    framework TEXT NOT NULL,
    score     REAL NOT NULL,
    PRIMARY KEY (repo, framework)
);

INSERT INTO classification_scores (repo, framework, score)
SELECT c.repo, j.key, j.value
FROM classifications c, json_each(c.frameworks) j
WHERE json_valid(c.frameworks) AND json_type(c.frameworks) = 'object'
  AND j.type IN ('integer', 'real');

-- Early versions stored a plain list of names: each counts 1.
INSERT OR IGNORE INTO classification_scores (repo, framework, score)
SELECT c.repo, j.value, 1.0
FROM classifications c, json_each(c.frameworks) j
WHERE json_valid(c.frameworks) AND json_type(c.frameworks) = 'array' AND j.type = 'text';

ALTER TABLE classifications DROP COLUMN frameworks;
