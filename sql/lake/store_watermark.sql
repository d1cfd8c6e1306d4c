-- What the store holds, read in the publication's own transaction (one snapshot of the store).
SELECT batch_seq, changed_seq FROM main.store_state
