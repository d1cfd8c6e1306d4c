-- name: lake/record_publication
-- params: batch_seq BIGINT, changed_seq BIGINT, epoch BIGINT, events BIGINT, now TIMESTAMPTZ, rejects BIGINT
-- columns: none
--
-- The new watermark, in the same DuckLake transaction as the rows, with the store it came from and
-- that store's committed Kafka offsets, read in the publication's own snapshot of the store (the one
-- its rows come from: a batch writes its rows and its offsets in one transaction), and the lake's
-- epoch it was published under (a pair's leader's; for a single consumer the current one, 0 if none).
INSERT INTO lake.lake_publications (batch_seq, changed_seq, published_at, events, rejects, store_id, offsets, epoch)
VALUES (
    $batch_seq, $changed_seq, CAST($now AS TIMESTAMPTZ), $events, $rejects, (SELECT store_id FROM main.store_state),
    (SELECT coalesce(list({'topic': topic, 'partition': "partition", 'next_offset': next_offset, 'topic_id': topic_id}
                          ORDER BY topic, "partition"), [])
     FROM main.consumer_offsets),
    $epoch
)
