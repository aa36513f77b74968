DO $$ BEGIN RAISE NOTICE 'hi;'; END $$;
CREATE FUNCTION f(int) RETURNS int AS $body$
  SELECT $1 + 1;
$body$ LANGUAGE sql;
SELECT $1, $tag_1$;$tag_1$;
