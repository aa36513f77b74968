-- c1
CREATE TABLE t (c int);

SELECT 1;
