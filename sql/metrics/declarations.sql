-- name: metrics/declarations
-- params: none
-- columns:
--   department_code  VARCHAR
--   flow             VARCHAR
--   channel          VARCHAR
--   declarations     BIGINT
--
-- Registered declarations per department, flow and channel, all time (a declaration counts once, on registration).
SELECT department_code, flow, channel, declarations FROM agg_declarations_total WHERE status = 'registered' ORDER BY ALL
