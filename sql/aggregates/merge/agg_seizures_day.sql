-- name: aggregates/merge/agg_seizures_day
-- params: none
-- columns: none
--
INSERT INTO agg_seizures_day BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET cases = cases + excluded.cases, goods_value_vnd = goods_value_vnd + excluded.goods_value_vnd,
    budget_collected_vnd = budget_collected_vnd + excluded.budget_collected_vnd,
    prosecuted = prosecuted + excluded.prosecuted, transferred = transferred + excluded.transferred
