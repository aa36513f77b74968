  SELECT 1;　
SELECT 'é'; 
