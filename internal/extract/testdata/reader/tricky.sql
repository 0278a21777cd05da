-- Not pg_dump's output, but valid psql input with every quoting form.
\connect -reuse-previous=on "dbname='we;ird'"
SET standard_conforming_strings = on;
/* leading /* nested */ comment; */
CREATE FUNCTION public."f;n"() RETURNS text LANGUAGE sql AS $fn$
  SELECT $$ inner ; $fn $$ || 'it''s' || E'\'' || $_x1$ $$ $_x1$;
$fn$;
CREATE FUNCTION public.g(a integer) RETURNS integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT CASE WHEN (a > 0) THEN 1 ELSE 2 END AS "case";
 SELECT 2;
END;
COMMENT ON TABLE public.t IS 'has -- and /* and ; and \';
COPY public.t (id, "w""eird") FROM stdin;
\\.
\.
SELECT $1 a$b, "x"
  -- trailing ; comment
  ;

--
-- PostgreSQL database dump complete
--

