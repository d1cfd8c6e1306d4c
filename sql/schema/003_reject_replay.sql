-- Replaying rejects (customs-kpi rejects replay): the outcome of the latest replay of a reject.
-- replay_status: NULL (never replayed), 'accepted' (the event is now stored), 'duplicate' (an event
-- with the same id and content was already stored), or the reason it was rejected again.
ALTER TABLE rejects ADD COLUMN replay_status VARCHAR;
ALTER TABLE rejects ADD COLUMN replay_detail VARCHAR;
ALTER TABLE rejects ADD COLUMN replayed_at TIMESTAMPTZ;
