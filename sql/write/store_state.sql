-- This database's id (the index beside it must carry the same) and the last batch committed.
SELECT store_id, batch_seq FROM store_state
