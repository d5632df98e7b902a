-- 0001_init: the state-history store.
--
-- Times are integer microseconds since the Unix epoch (UTC). Every statement here runs in one transaction,
-- applied by History.Migrator, which records this file's SHA-256 in schema_migrations.
-- auto_vacuum=INCREMENTAL is set by the Migrator before this file runs (it must precede the first table and
-- the switch to WAL); retention then returns free pages with `PRAGMA incremental_vacuum`.

-- Applied migrations: one row per file of migrations/.
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,          -- lowercase hex SHA-256 of the file's bytes
    applied_at INTEGER NOT NULL           -- microseconds since the Unix epoch
);

-- Every connectivity-state transition of every channel and subchannel, in commit order.
-- `id` is the rowid: keyset pagination walks it, and the target index below carries it, so
-- "WHERE target = ? AND id > ? ORDER BY id" is one index range scan without a sort.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,
    target     TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('channel', 'subchannel')),
    subchannel INTEGER,
    address    TEXT,
    from_state TEXT    NOT NULL CHECK (from_state IN ('IDLE', 'CONNECTING', 'READY', 'TRANSIENT_FAILURE', 'SHUTDOWN')),
    to_state   TEXT    NOT NULL CHECK (to_state   IN ('IDLE', 'CONNECTING', 'READY', 'TRANSIENT_FAILURE', 'SHUTDOWN')),
    reason     TEXT    NOT NULL DEFAULT ''
);

-- Queries by target (the common case; also availability). Implicitly (target, id).
CREATE INDEX events_by_target ON events (target);
-- Queries by subchannel id without a target. Implicitly (subchannel, id); channel rows are left out.
CREATE INDEX events_by_subchannel ON events (subchannel) WHERE subchannel IS NOT NULL;

-- One row per committed batch of events: its id range and the running maximum of event times over this and
-- every earlier batch (non-decreasing in id order). It turns a time bound into an exact id bound without an
-- index on events.ts (which would slow ingest): every event with ts >= T has id >= the first_id of the first
-- batch whose max_ts >= T. Time-range queries and retention both use it.
CREATE TABLE event_batches (
    first_id INTEGER PRIMARY KEY,         -- first events.id of the batch
    last_id  INTEGER NOT NULL,
    max_ts   INTEGER NOT NULL             -- max(events.ts) over ids <= last_id
);
CREATE INDEX event_batches_by_max_ts ON event_batches (max_ts);

-- Events the writer had to drop (its in-memory buffer was full while the database was not writable).
CREATE TABLE history_gaps (
    id          INTEGER PRIMARY KEY,
    after_id    INTEGER,                  -- last events.id committed before the drop (NULL: none yet)
    from_ts     INTEGER NOT NULL,         -- time of the first dropped event
    to_ts       INTEGER NOT NULL,         -- time of the last dropped event
    dropped     INTEGER NOT NULL CHECK (dropped > 0),
    recorded_at INTEGER NOT NULL
);

-- Targets added through the admin API, so they survive restarts. `spec` is the TargetSpec JSON.
CREATE TABLE targets (
    name       TEXT    PRIMARY KEY,
    spec       TEXT    NOT NULL CHECK (json_valid(spec)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
