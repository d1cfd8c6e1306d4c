-- Seizure cases, goods value and prosecuted cases per department and category, all time.
SELECT department_code, category, cases, goods_value_vnd, prosecuted FROM agg_seizures_total ORDER BY ALL
