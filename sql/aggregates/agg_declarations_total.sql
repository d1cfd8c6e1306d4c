-- Declaration events per department, flow, channel ('none' when absent) and status, all time.
SELECT department_code, flow, coalesce(channel, 'none') AS channel, status, count(*) AS declarations
FROM {{declarations}}
GROUP BY ALL
