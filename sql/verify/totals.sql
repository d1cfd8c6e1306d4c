-- name: verify/totals
-- params: none
-- columns:
--   topic         VARCHAR
--   events        HUGEINT
--   duplicates    HUGEINT
--   rejects       HUGEINT
--   next_offsets  HUGEINT
--
-- Per topic: the events stored, the duplicates and rejects recorded, and the committed next offsets
-- summed over its partitions (what the consumer has read), for verify's summary.
WITH taken AS (
    SELECT source_topic AS topic, count(*) AS events, 0 AS duplicates, 0 AS rejects FROM declarations GROUP BY ALL
    UNION ALL SELECT source_topic, count(*), 0, 0 FROM revenue GROUP BY ALL
    UNION ALL SELECT source_topic, count(*), 0, 0 FROM seizures GROUP BY ALL
    UNION ALL SELECT source_topic, 0, count(*), 0 FROM duplicates GROUP BY ALL
    UNION ALL SELECT source_topic, 0, 0, count(*) FROM rejects GROUP BY ALL
), read AS (
    SELECT topic, sum(next_offset) AS next_offsets FROM consumer_offsets GROUP BY ALL
)
SELECT coalesce(t.topic, r.topic) AS topic, coalesce(sum(t.events), 0) AS events, coalesce(sum(t.duplicates), 0) AS duplicates,
       coalesce(sum(t.rejects), 0) AS rejects, coalesce(any_value(r.next_offsets), 0) AS next_offsets
FROM taken t
FULL OUTER JOIN read r USING (topic)
GROUP BY ALL
ORDER BY 1
