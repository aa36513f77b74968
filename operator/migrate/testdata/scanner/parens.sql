SELECT (1; 2);
CREATE TABLE t (a int, b int CHECK (b > (a; 1)));
SELECT 3;
