-- Dead links cost little (issue 9 §7): a missing (404) or blocked (451, disabled) repository is
-- asked again at growing intervals, not at every refresh. ``misses`` counts consecutive
-- missing/blocked answers; ``next_check_at`` is when a refresh may ask again (NULL: as due).
ALTER TABLE repos ADD COLUMN misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE repos ADD COLUMN next_check_at TEXT;

-- Tree entries keep the host's mode: 120000 is a symbolic link, 160000 a submodule.
ALTER TABLE tree_entries ADD COLUMN mode TEXT;

-- Dead links already stored were asked at their last check: the schedule starts there.
UPDATE repos SET misses = 1,
       next_check_at = strftime('%Y-%m-%dT%H:%M:%SZ', checked_at, '+30 days')
 WHERE status = 'missing' AND checked_at IS NOT NULL;
UPDATE repos SET misses = 1,
       next_check_at = strftime('%Y-%m-%dT%H:%M:%SZ', checked_at, '+360 days')
 WHERE status = 'blocked' AND checked_at IS NOT NULL;
