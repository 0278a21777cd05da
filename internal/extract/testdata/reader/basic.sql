--
-- PostgreSQL database dump
--

\restrict sKzXq1b2c3

-- Dumped from database version 17.2
-- Dumped by pg_dump version 17.2

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: ai; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA ai;


--
-- Name: touch(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- Name: fake; Type: TABLE; Schema: public; Owner: -
  NEW.note := 'COPY x FROM stdin;' || E'\n\\.\n';
  RETURN NEW;
END;
$$;


--
-- Name: docs; Type: TABLE; Schema: ai; Owner: -
--

CREATE TABLE ai.docs (
    id integer NOT NULL,
    "body;text" text,
    "a.b" bytea
);


--
-- Data for Name: docs; Type: TABLE DATA; Schema: ai; Owner: -
--

COPY ai.docs (id, "body;text", "a.b") FROM stdin;
1	tab\there	\\x0001ff
2	line1\nline2 \\. -- not a comment	\N
3	\\.	\\x
4	SELECT 1; COPY y FROM stdin;	\N
\.


--
-- Name: docs docs_pkey; Type: CONSTRAINT; Schema: ai; Owner: -
--

ALTER TABLE ONLY ai.docs
    ADD CONSTRAINT docs_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict sKzXq1b2c3

