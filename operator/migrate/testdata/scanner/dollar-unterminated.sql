SELECT $$ never closed;
SELECT 2;
