-- 0002_interned_targets: smaller rows and one index, for ingest speed (issue 4).
--
-- Measured with history-bench (bare batched inserts, 300k events, 1,000 targets, same run): the text
-- columns of 0001 cost most of the per-row time (their CHECK ... IN lists build a lookup table on every
-- insert), the index on the target name halved what was left, and the subchannel index halved it again.
-- Here: the target is an integer id into history_targets (the writer caches name -> id), scope and states
-- are small integers, and the only index on events is (target_id, id). Subchannel queries without a
-- target find their target(s) in history_subchannels and then use that index.
--
-- Every existing row keeps its id and its values.

-- Target names, interned. Ids are never reused or renamed, so readers and the writer may cache them.
CREATE TABLE history_targets (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

-- Which targets a subchannel id has belonged to (ids are unique only for one process's life). `last_id` is a
-- lower bound of the pair's newest events.id: the writer refreshes it when it sees the pair again more than
-- HistoryWriter.subchannelRefreshIDs ids later, so every event of the pair has id < last_id + that span, and
-- retention drops a pair once the oldest remaining event is past it.
CREATE TABLE history_subchannels (
    subchannel INTEGER NOT NULL,
    target_id  INTEGER NOT NULL,
    last_id    INTEGER NOT NULL,
    PRIMARY KEY (subchannel, target_id)
) WITHOUT ROWID;

INSERT INTO history_targets (name) SELECT target FROM events GROUP BY target ORDER BY min(id);

-- scope: 0 channel, 1 subchannel. States: 0 IDLE, 1 CONNECTING, 2 READY, 3 TRANSIENT_FAILURE, 4 SHUTDOWN.
CREATE TABLE events_v2 (
    id         INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,
    target_id  INTEGER NOT NULL,
    scope      INTEGER NOT NULL CHECK (scope BETWEEN 0 AND 1),
    subchannel INTEGER,
    address    TEXT,
    from_state INTEGER NOT NULL CHECK (from_state BETWEEN 0 AND 4),
    to_state   INTEGER NOT NULL CHECK (to_state BETWEEN 0 AND 4),
    reason     TEXT    NOT NULL DEFAULT ''
);

INSERT INTO events_v2 (id, ts, target_id, scope, subchannel, address, from_state, to_state, reason)
SELECT e.id, e.ts, t.id,
       CASE e.scope WHEN 'channel' THEN 0 ELSE 1 END,
       e.subchannel, e.address,
       CASE e.from_state WHEN 'IDLE' THEN 0 WHEN 'CONNECTING' THEN 1 WHEN 'READY' THEN 2 WHEN 'TRANSIENT_FAILURE' THEN 3 ELSE 4 END,
       CASE e.to_state   WHEN 'IDLE' THEN 0 WHEN 'CONNECTING' THEN 1 WHEN 'READY' THEN 2 WHEN 'TRANSIENT_FAILURE' THEN 3 ELSE 4 END,
       e.reason
FROM events AS e JOIN history_targets AS t ON t.name = e.target
ORDER BY e.id;

INSERT INTO history_subchannels (subchannel, target_id, last_id)
SELECT subchannel, target_id, max(id) FROM events_v2 WHERE subchannel IS NOT NULL GROUP BY subchannel, target_id;

DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;

-- Queries by target (the history filter, the dashboard's newest events, availability, and subchannel
-- queries through history_subchannels). Implicitly (target_id, id): "WHERE target_id = ? AND id > ?
-- ORDER BY id" is one index range scan without a sort.
CREATE INDEX events_by_target ON events (target_id);
