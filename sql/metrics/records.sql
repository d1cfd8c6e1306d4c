-- Consumed records per topic and outcome.
SELECT topic, outcome, records FROM agg_records ORDER BY ALL
