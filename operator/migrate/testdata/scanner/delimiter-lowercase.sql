delimiter $$
CREATE FUNCTION f() RETURNS INT RETURN 1$$
delimiter ;
SELECT f();
