-- name: verify/lake_events
-- params: upto BIGINT
-- columns:
--   department_code  VARCHAR
--   day              DATE
--   detail           VARCHAR
--
-- The lake's {{table}} against the store's rows up to the lake's watermark ($upto, its newest
-- publication's batch): per department and local day, the count, the exact sum of amounts (0 for
-- tables without one) and a fingerprint of every column of every row (the sum of the rows'
-- hashes: a kind, a status or any other value changed in place shows there) but those that say
-- where and when a store took the row: after a takeover the lake holds rows another replica stored,
-- in its batches, and an identical duplicate from another partition than this store kept. An event
-- that has a conflicting duplicate (another copy with other content) is only counted: which copy
-- is kept depends on the order copies were read in, and after a takeover the lake may keep the one
-- this store rejected. Event rows never change once stored, so the two sides must agree exactly.
-- One row per group that differs, saying how.
WITH conflicted AS (  -- events with a conflicting copy: only counted
    SELECT DISTINCT source_topic, event_id FROM main.rejects WHERE reason = 'conflicting_duplicate' AND event_id IS NOT NULL
), store AS (
    SELECT r.department_code, r.day, count(*) AS n,
           coalesce(sum(r.amount) FILTER (c.event_id IS NULL), 0) AS amount,
           sum(CAST(r.fingerprint AS HUGEINT)) FILTER (c.event_id IS NULL) AS content
    FROM (
        SELECT department_code, CAST(local_time(occurred_at) AS DATE) AS day, source_topic, event_id,
               CAST({{amount}} AS HUGEINT) AS amount,
               hash(*COLUMNS(* EXCLUDE (batch_seq, ingested_at, source_partition, source_offset))) AS fingerprint
        FROM main.{{table}}
        WHERE batch_seq <= $upto OR batch_seq IS NULL
    ) r
    LEFT JOIN conflicted c ON c.source_topic = r.source_topic AND c.event_id = r.event_id
    GROUP BY ALL
), lake AS (
    SELECT r.department_code, r.day, count(*) AS n,
           coalesce(sum(r.amount) FILTER (c.event_id IS NULL), 0) AS amount,
           sum(CAST(r.fingerprint AS HUGEINT)) FILTER (c.event_id IS NULL) AS content
    FROM (
        SELECT department_code, CAST(local_time(occurred_at) AS DATE) AS day, source_topic, event_id,
               CAST({{amount}} AS HUGEINT) AS amount,
               hash(*COLUMNS(* EXCLUDE (batch_seq, ingested_at, source_partition, source_offset))) AS fingerprint
        FROM {{alias}}.{{table}}
    ) r
    LEFT JOIN conflicted c ON c.source_topic = r.source_topic AND c.event_id = r.event_id
    GROUP BY ALL
)
SELECT coalesce(s.department_code, l.department_code) AS department_code, coalesce(s.day, l.day) AS day,
       format('store {} rows, amount {}; lake {} rows, amount {}{}', coalesce(s.n, 0), coalesce(s.amount, 0), coalesce(l.n, 0),
              coalesce(l.amount, 0),
              CASE WHEN s.n = l.n AND s.amount = l.amount THEN '; the same count and amount, but values differ in other columns' ELSE '' END) AS detail
FROM store s
FULL OUTER JOIN lake l ON s.department_code = l.department_code AND s.day = l.day
WHERE coalesce(s.n, 0) <> coalesce(l.n, 0) OR coalesce(s.amount, 0) <> coalesce(l.amount, 0) OR s.content IS DISTINCT FROM l.content
ORDER BY ALL
