SELECT 1; -- belongs to the next one
SELECT 2;
