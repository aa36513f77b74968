INSERT INTO t VALUES ('it''s;', "dq;", `bt;`);
INSERT INTO t VALUES ('a\'b;');
SELECT 'x''';
