# a hash comment
SELECT 1; # trailing
SELECT '#';
