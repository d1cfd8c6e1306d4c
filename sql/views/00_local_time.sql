-- name: views/00_local_time
-- defines: local_time(t TIMESTAMPTZ), from_local_time(lt TIMESTAMP)
-- columns: none
--
-- Vietnam local time (UTC+7, no daylight saving) as a naive TIMESTAMP, and back.
CREATE OR REPLACE MACRO local_time(t) AS timezone('UTC', CAST(t AS TIMESTAMPTZ)) + INTERVAL 7 HOUR;
CREATE OR REPLACE MACRO from_local_time(lt) AS timezone('UTC', CAST(lt AS TIMESTAMP) - INTERVAL 7 HOUR);
