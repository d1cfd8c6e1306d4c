-- Registered declarations per department, flow and channel, all time (a declaration counts once, on registration).
SELECT department_code, flow, channel, declarations FROM agg_declarations_total WHERE status = 'registered' ORDER BY ALL
