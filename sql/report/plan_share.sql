-- name: report/plan_share
-- params: at TIMESTAMPTZ
-- columns:
--   plan_share  DOUBLE
--
-- The national plan share at $at (plan_shares): the seasonal plan's part of the year by then.
SELECT plan_share FROM plan_shares(CAST($at AS TIMESTAMPTZ)) WHERE scope = 'national'
