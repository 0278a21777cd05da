#!/usr/bin/env bash
# Regenerates store/ (the sample store): three daily snapshots of a small
# platform-like project "demo" (real pg_dump output, gzipped), the store the
# README's quick start and the demo console read. Needs PostgreSQL server
# binaries; run as root or a user that may run PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")"
PGBIN=$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")
WORK=$(mktemp -d /tmp/restorectl-sample.XXXXXX); chmod 755 "$WORK"
PORT=$((30000 + RANDOM % 10000))
AS_PG=(); [ "$(id -u)" = 0 ] && { AS_PG=(runuser -u postgres --); chown postgres "$WORK"; }
trap '"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust >/dev/null
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/log" -w -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
createdb demo
psql -q -v ON_ERROR_STOP=1 -d demo <<'SQL'
CREATE SCHEMA auth; CREATE SCHEMA storage; CREATE SCHEMA ai; CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped');
CREATE TABLE auth.users (id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(), email text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid REFERENCES auth.users(id), name text NOT NULL);
CREATE TABLE public.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.customers(id), status public.order_status NOT NULL DEFAULT 'pending', total numeric(10,2) NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX orders_customer_idx ON public.orders (customer_id);
CREATE TABLE storage.objects (id bigserial PRIMARY KEY, bucket text NOT NULL, name text NOT NULL, metadata jsonb);
CREATE TABLE ai.documents (id bigserial PRIMARY KEY, body text, embedding real[]);
INSERT INTO auth.users (email, created_at) SELECT 'user' || i || '@example.com', '2026-11-01 09:00+00'::timestamptz + i * interval '1 hour' FROM generate_series(1, 20) i;
INSERT INTO public.customers (user_id, name) SELECT id, initcap(split_part(email, '@', 1)) FROM auth.users;
INSERT INTO storage.objects (bucket, name, metadata) SELECT 'avatars', 'u' || i || '.png', jsonb_build_object('size', i * 1024) FROM generate_series(1, 10) i;
INSERT INTO ai.documents (body, embedding) SELECT 'doc ' || i, ARRAY[i, i / 2.0, i / 3.0]::real[] FROM generate_series(1, 5) i;
SQL
snapshot() { # day-offset
	local ts; ts=$(date -u -d "2026-11-20 03:00 UTC + $1 days" +%Y%m%dT%H%M%SZ)
	mkdir -p store/demo
	"$PGBIN/pg_dump" --no-owner --no-privileges -d demo | gzip -9n > "store/demo/$ts.sql.gz"
	echo "store/demo/$ts.sql.gz"
}
rm -rf store/demo
psql -q -d demo -c "INSERT INTO public.orders (customer_id, status, total, note, created_at) SELECT 1 + i % 20, 'paid', i * 9.5, 'order ' || i, '2026-11-19 08:00+00'::timestamptz + i * interval '17 minutes' FROM generate_series(1, 40) i"
snapshot 0
psql -q -d demo -c "INSERT INTO public.orders (customer_id, total, note, created_at) SELECT 1 + i % 20, i * 3.25, E'late\torder\n' || i, '2026-11-20 09:00+00'::timestamptz + i * interval '23 minutes' FROM generate_series(1, 15) i"
snapshot 1
# The ticket: someone deleted orders by mistake.
psql -q -d demo -c "DELETE FROM public.orders WHERE id % 3 = 0"
snapshot 2
