-- name: views/release_times
-- defines: release_times
-- columns:
--   declaration_no   VARCHAR
--   department_code  VARCHAR
--   office_code      VARCHAR
--   flow             VARCHAR
--   channel          VARCHAR
--   registered_at    TIMESTAMP WITH TIME ZONE
--   cleared_at       TIMESTAMP WITH TIME ZONE
--   release_us       BIGINT
--   release_hours    DOUBLE
--
-- One row per declaration whose release is known: cleared minus registered (WCO Time Release Study).
-- The contract allows one registered and at most one cleared event per declaration; should a
-- declaration_no have more, its earliest registered and earliest cleared events (by occurred_at,
-- then event_id) make the pair, whatever order they arrived in. Channel, department, office and
-- flow are the registered event's. The release histogram (agg_release) counts exactly these rows.
CREATE OR REPLACE VIEW release_times AS
WITH firsts AS (
    SELECT declaration_no,
           arg_min(struct_pack(occurred_at, department_code, office_code, flow, channel), (occurred_at, event_id))
               FILTER (status = 'registered') AS r,
           min(struct_pack(occurred_at, event_id)) FILTER (status = 'cleared') AS c
    FROM declarations
    WHERE status IN ('registered', 'cleared')
    GROUP BY declaration_no
)
SELECT declaration_no, r.department_code, r.office_code, r.flow, r.channel,
       r.occurred_at AS registered_at, c.occurred_at AS cleared_at,
       epoch_us(c.occurred_at) - epoch_us(r.occurred_at) AS release_us,
       (epoch_us(c.occurred_at) - epoch_us(r.occurred_at)) / 3600e6 AS release_hours
FROM firsts
WHERE r IS NOT NULL AND c IS NOT NULL;
