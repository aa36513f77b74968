-- atlas:delimiter
SELECT 1;
