-- name: write/index_declarations
-- params: after BIGINT
-- columns:
--   declaration_no   VARCHAR
--   status           VARCHAR
--   occurred_at      TIMESTAMP WITH TIME ZONE
--   event_id         VARCHAR
--   channel          VARCHAR
--   department_code  VARCHAR
--
-- The registered and cleared events stored after batch $after, for the release pairing state.
SELECT declaration_no, status, occurred_at, event_id, channel, department_code
FROM declarations
WHERE coalesce(batch_seq, 0) > $after AND status IN ('registered', 'cleared')
