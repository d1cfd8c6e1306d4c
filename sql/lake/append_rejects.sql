-- New and changed reject rows (all of them at the first publication: $changes_after is -1).
INSERT INTO lake.rejects
SELECT * FROM main.rejects
WHERE coalesce(changed_seq, 0) > $changes_after AND coalesce(changed_seq, 0) <= $changes_upto
