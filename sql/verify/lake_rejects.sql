-- name: verify/lake_rejects
-- params: upto BIGINT
-- columns:
--   topic   VARCHAR
--   reason  VARCHAR
--   detail  VARCHAR
--
-- The lake's rejects against the store's up to the lake's watermark ($upto): per topic and reason,
-- the count. One row per group that differs.
WITH store AS (
    SELECT source_topic, reason, count(*) AS n FROM main.rejects WHERE batch_seq <= $upto OR batch_seq IS NULL GROUP BY ALL
), lake AS (
    SELECT source_topic, reason, count(*) AS n FROM {{alias}}.rejects GROUP BY ALL
)
SELECT coalesce(s.source_topic, l.source_topic) AS topic, coalesce(s.reason, l.reason) AS reason,
       format('store {} rejects; lake {}', coalesce(s.n, 0), coalesce(l.n, 0)) AS detail
FROM store s
FULL OUTER JOIN lake l ON s.source_topic = l.source_topic AND s.reason = l.reason
WHERE coalesce(s.n, 0) <> coalesce(l.n, 0)
ORDER BY ALL
