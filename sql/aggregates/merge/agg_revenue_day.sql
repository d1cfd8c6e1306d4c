-- name: aggregates/merge/agg_revenue_day
-- params: none
-- columns: none
--
INSERT INTO agg_revenue_day BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET receipts = receipts + excluded.receipts, amount_vnd = amount_vnd + excluded.amount_vnd
