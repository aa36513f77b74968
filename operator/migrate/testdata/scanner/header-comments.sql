-- atlas:txmode none

-- comment for s1
CREATE INDEX CONCURRENTLY i ON t (c);

-- detached comment

SELECT 1;
-- trailing, no newline