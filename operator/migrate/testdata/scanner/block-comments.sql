/* leading
   block */
SELECT 1 /* inline; */ + 2;
/* detached */

SELECT 3;
/* unterminated
SELECT 4;
