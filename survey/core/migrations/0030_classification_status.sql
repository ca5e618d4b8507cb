-- The repository status a classification was made from, so that a repository whose status
-- changes (pending -> ok, ok -> missing) is classified again even when its head_sha did not.
ALTER TABLE classifications ADD COLUMN repo_status TEXT;
