-- What the lake holds: the store's last batch and last reject change published (NULL: nothing yet).
SELECT max(batch_seq), max(changed_seq) FROM lake.lake_publications
