-- One row per cleared declaration: release time = cleared minus registered (WCO Time Release Study).
CREATE OR REPLACE VIEW release_times AS
SELECT r.declaration_no, r.department_code, r.office_code, r.flow, r.channel,
       r.occurred_at AS registered_at, c.occurred_at AS cleared_at,
       epoch(c.occurred_at - r.occurred_at) / 3600.0 AS release_hours
FROM declarations r
JOIN declarations c ON c.declaration_no = r.declaration_no AND c.status = 'cleared'
WHERE r.status = 'registered';
