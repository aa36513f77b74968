-- atlas:delimiter -- end
CREATE TABLE a (c int);
INSERT INTO a VALUES (1);
-- end
CREATE TABLE b (c int);
-- end
