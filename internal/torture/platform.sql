-- Turns a copy of the regression database into one a platform project
-- could hold: drops, with what depends on them, the objects only a
-- superuser may create. Their CREATE statements fail when a snapshot is
-- loaded as the project's own role, as restorectl loads a new project.
-- Each drop is printed (NOTICE), so the test's output says what went.
DO $platform$
DECLARE
	what text;
	n int := 0;
BEGIN
	-- Named first, dropped after: a drop cascades to objects further down
	-- the list, whose names could no longer be printed from their OIDs.
	FOREACH what IN ARRAY ARRAY(
		-- Functions in untrusted languages (internal, C): LANGUAGE c and
		-- internal need superuser. Aggregates are listed with LANGUAGE
		-- internal but are CREATE AGGREGATE: any role may, as range types'
		-- constructors come with CREATE TYPE.
		SELECT format('FUNCTION %s', p.oid::regprocedure) AS what
		FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		WHERE p.oid >= 16384 AND NOT l.lanpltrusted AND p.prokind <> 'a'
		  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
		                  AND d.objid = p.oid AND d.deptype = 'i')
		-- Aggregates whose state is of type internal: superuser only.
		UNION ALL
		SELECT format('AGGREGATE %s', aggfnoid::regprocedure)
		FROM pg_aggregate WHERE aggfnoid >= 16384 AND aggtranstype = 'internal'::regtype
		-- Base and shell types (a base type's I/O functions are C
		-- functions): superuser only. Implicit array types go with them.
		UNION ALL
		SELECT format('TYPE %s', t.oid::regtype)
		FROM pg_type t
		WHERE t.oid >= 16384 AND t.typtype IN ('b', 'p')
		  AND NOT EXISTS (SELECT FROM pg_type e WHERE e.typarray = t.oid)
		-- Operator families (and their classes), access methods, transforms,
		-- foreign-data wrappers (their servers and foreign tables go with
		-- them), event triggers, text search parsers and templates,
		-- procedural languages: superuser only.
		UNION ALL
		SELECT format('OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, a.amname)
		FROM pg_opfamily f JOIN pg_am a ON a.oid = f.opfmethod JOIN pg_namespace n ON n.oid = f.opfnamespace
		WHERE f.oid >= 16384
		UNION ALL
		SELECT format('ACCESS METHOD %I', amname) FROM pg_am WHERE oid >= 16384
		UNION ALL
		SELECT format('TRANSFORM FOR %s LANGUAGE %I', trftype::regtype, l.lanname)
		FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
		UNION ALL
		SELECT format('FOREIGN DATA WRAPPER %I', fdwname) FROM pg_foreign_data_wrapper
		UNION ALL
		SELECT format('EVENT TRIGGER %I', evtname) FROM pg_event_trigger
		UNION ALL
		SELECT format('TEXT SEARCH PARSER %I.%I', n.nspname, p.prsname)
		FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace WHERE p.oid >= 16384
		UNION ALL
		SELECT format('TEXT SEARCH TEMPLATE %I.%I', n.nspname, t.tmplname)
		FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace WHERE t.oid >= 16384
		UNION ALL
		SELECT format('LANGUAGE %I', lanname) FROM pg_language WHERE oid >= 16384 AND lanname <> 'plpgsql'
		-- Casts: one needs to own one of the types, and binary-coercible
		-- ones (WITHOUT FUNCTION) need superuser.
		UNION ALL
		SELECT format('CAST (%s AS %s)', castsource::regtype, casttarget::regtype)
		FROM pg_cast WHERE oid >= 16384 AND (castmethod = 'b' OR (castsource < 16384 AND casttarget < 16384))
		-- Publications of all tables or of whole schemas: superuser only.
		UNION ALL
		SELECT format('PUBLICATION %I', pubname) FROM pg_publication p
		WHERE puballtables OR EXISTS (SELECT FROM pg_publication_namespace pn WHERE pn.pnpubid = p.oid)
		ORDER BY 1 -- the same drops, and the same list, every run
	) LOOP
		BEGIN
			EXECUTE 'DROP ' || what || ' CASCADE';
			RAISE NOTICE 'dropped %', what;
			n := n + 1;
		EXCEPTION WHEN undefined_object OR undefined_function THEN
			NULL; -- gone already, with something dropped before it
		END;
	END LOOP;
	-- LEAKPROOF needs superuser; the functions themselves may stay.
	FOR what IN SELECT oid::regprocedure FROM pg_proc WHERE oid >= 16384 AND proleakproof LOOP
		EXECUTE format('ALTER FUNCTION %s NOT LEAKPROOF', what);
		RAISE NOTICE 'made % not LEAKPROOF', what;
	END LOOP;
	RAISE NOTICE 'dropped % objects', n;
END
$platform$;
