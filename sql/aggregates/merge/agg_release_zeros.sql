-- name: aggregates/merge/agg_release_zeros
-- params: none
-- columns: none
--
-- A bucket whose releases all moved elsewhere holds nothing: drop it, as a rebuild would not have it.
DELETE FROM agg_release WHERE releases = 0 AND release_us = 0
