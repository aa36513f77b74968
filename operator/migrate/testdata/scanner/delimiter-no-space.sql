delimiterx;
SELECT 1;
