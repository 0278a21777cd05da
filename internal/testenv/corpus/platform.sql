-- platform: a typical project. The five schemas, extensions in
-- "extensions", auth/storage/ai tables, enums, domains, composite types,
-- identity, generated and serial columns, foreign keys within and across
-- schemas (self-referencing, composite), unique/check/exclusion
-- constraints, partial/expression/trigram indexes, triggers (an audit log
-- of inserts), row level security and policies, comments, views, a
-- materialized view, sequences whose position matters, the same table name
-- in two schemas (public.items, storage.items), 50,000 events and 1,000
-- 384-dimension embeddings.

CREATE SCHEMA ai;
CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION citext WITH SCHEMA extensions;
CREATE EXTENSION hstore WITH SCHEMA extensions;
CREATE EXTENSION pg_trgm WITH SCHEMA extensions;
CREATE EXTENSION btree_gist WITH SCHEMA extensions;

-- The platform's roles exist cluster-wide; policies name them.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN BYPASSRLS;
  END IF;
END
$$;

-- auth ----------------------------------------------------------------

CREATE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE
AS $$
  SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;
COMMENT ON FUNCTION auth.uid() IS 'The id of the user making the request, from the JWT.';

CREATE TABLE auth.users (
  id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
  email extensions.citext NOT NULL UNIQUE,
  encrypted_password text,
  raw_user_meta_data jsonb DEFAULT '{}'::jsonb,
  is_admin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);
COMMENT ON TABLE auth.users IS 'Registered users.';
COMMENT ON COLUMN auth.users.email IS 'Case-insensitive, unique.';

INSERT INTO auth.users (id, email, encrypted_password, raw_user_meta_data, is_admin, created_at, last_sign_in_at)
SELECT md5('user' || i)::uuid,
       'User' || i || '@Example.com',
       extensions.crypt('password' || i, '$2a$06$abcdefghijklmnopqrstuu'),
       jsonb_build_object('name', 'User ' || i, 'plan', (ARRAY['free', 'pro', 'team'])[1 + i % 3]),
       i % 50 = 0,
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 hour',
       CASE WHEN i % 4 = 0 THEN NULL ELSE timestamptz '2025-06-01 12:00:00+00' + i * interval '1 minute' END
FROM generate_series(1, 200) AS i;

-- storage -------------------------------------------------------------

CREATE TABLE storage.buckets (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  owner uuid REFERENCES auth.users (id),
  public boolean DEFAULT false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz DEFAULT now()
);

CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(),
  bucket_id text REFERENCES storage.buckets (id),
  name text,
  owner uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  metadata jsonb,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  created_at timestamptz DEFAULT now(),
  CONSTRAINT objects_bucket_name_key UNIQUE (bucket_id, name)
);
CREATE INDEX objects_name_trgm_idx ON storage.objects USING gin (name extensions.gin_trgm_ops);
CREATE INDEX objects_top_folder_idx ON storage.objects ((path_tokens[1]));

-- Same name as public.items.
CREATE TABLE storage.items (
  id bigserial PRIMARY KEY,
  object_id uuid REFERENCES storage.objects (id) ON DELETE CASCADE,
  label text
);

INSERT INTO storage.buckets (id, name, owner, public, file_size_limit, allowed_mime_types, created_at) VALUES
  ('avatars', 'avatars', md5('user1')::uuid, true, 1048576, '{image/png,image/jpeg}', '2025-01-02 03:04:05+00'),
  ('documents', 'documents', md5('user2')::uuid, false, NULL, NULL, '2025-01-03 03:04:05+00'),
  ('empty', 'empty', NULL, false, 0, '{}', '2025-01-04 03:04:05+00');

INSERT INTO storage.objects (id, bucket_id, name, owner, metadata, created_at)
SELECT md5('object' || i)::uuid,
       CASE WHEN i % 3 = 0 THEN 'documents' ELSE 'avatars' END,
       'folder' || (i % 7) || '/sub dir/file ' || i || CASE WHEN i % 3 = 0 THEN '.pdf' ELSE '.png' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE md5('user' || (1 + i % 200))::uuid END,
       jsonb_build_object('size', i * 1024, 'mimetype', CASE WHEN i % 3 = 0 THEN 'application/pdf' ELSE 'image/png' END),
       timestamptz '2025-02-01 00:00:00+00' + i * interval '17 minutes'
FROM generate_series(1, 500) AS i;

INSERT INTO storage.items (object_id, label)
SELECT md5('object' || i)::uuid, 'storage item ' || i FROM generate_series(1, 20) AS i;

-- public --------------------------------------------------------------

CREATE TYPE public.order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'refunded');
COMMENT ON TYPE public.order_status IS 'Lifecycle of an order.';
CREATE DOMAIN public.money_amount AS numeric(12, 2) CHECK (VALUE >= 0);
CREATE DOMAIN public.email AS extensions.citext CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE TYPE public.address AS (street text, city text, zip text, country char(2));

CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  username text UNIQUE CHECK (char_length(username) >= 3),
  contact public.email,
  full_name text,
  address public.address,
  settings extensions.hstore,
  updated_at timestamptz
);
COMMENT ON TABLE public.profiles IS 'Public profile of each user.';
COMMENT ON COLUMN public.profiles.settings IS 'Free-form key/value settings.';

CREATE TABLE public.categories (
  id serial PRIMARY KEY,
  parent_id integer REFERENCES public.categories (id),
  name text NOT NULL
);

CREATE TABLE public.items (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  name text NOT NULL,
  category_id integer REFERENCES public.categories (id),
  price public.money_amount NOT NULL,
  tags text[] DEFAULT '{}',
  attributes jsonb,
  discontinued boolean NOT NULL DEFAULT false
);
CREATE INDEX items_active_name_idx ON public.items (name) WHERE NOT discontinued;
CREATE INDEX items_lower_name_idx ON public.items (lower(name));
CREATE INDEX items_attributes_idx ON public.items USING gin (attributes jsonb_path_ops);

CREATE TABLE public.orders (
  id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES public.profiles (id),
  status public.order_status NOT NULL DEFAULT 'pending',
  total public.money_amount NOT NULL DEFAULT 0,
  placed_at timestamptz NOT NULL DEFAULT now(),
  shipping public.address,
  note text
);
CREATE INDEX orders_customer_idx ON public.orders (customer_id, placed_at DESC);
CREATE INDEX orders_open_idx ON public.orders (placed_at) WHERE status IN ('pending', 'paid');
-- A comment on a foreign key: an extract that leaves the key out (its
-- table referenced is not selected) must leave the comment out too.
COMMENT ON CONSTRAINT orders_customer_id_fkey ON public.orders IS 'Who placed the order.';

CREATE TABLE public.order_lines (
  order_id bigint REFERENCES public.orders (id) ON DELETE CASCADE,
  line_no integer,
  item_id integer NOT NULL REFERENCES public.items (id),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(12, 2) NOT NULL,
  amount numeric(12, 2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
  PRIMARY KEY (order_id, line_no)
);

-- A composite foreign key.
CREATE TABLE public.shipments (
  id serial PRIMARY KEY,
  order_id bigint NOT NULL,
  line_no integer NOT NULL,
  carrier text,
  shipped_at timestamptz,
  FOREIGN KEY (order_id, line_no) REFERENCES public.order_lines (order_id, line_no) ON DELETE CASCADE
);

-- An exclusion constraint, on an operator class of btree_gist (in "extensions").
CREATE TABLE public.reservations (
  id serial PRIMARY KEY,
  room integer NOT NULL,
  during tstzrange NOT NULL,
  booked_by uuid REFERENCES auth.users (id),
  CONSTRAINT reservations_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);

-- A sequence whose position matters: invoice numbers must never repeat.
CREATE SEQUENCE public.invoice_number_seq START 10000;
CREATE TABLE public.invoices (
  number bigint PRIMARY KEY DEFAULT nextval('public.invoice_number_seq'),
  order_id bigint NOT NULL REFERENCES public.orders (id),
  issued_on date NOT NULL,
  amount numeric NOT NULL
);
ALTER SEQUENCE public.invoice_number_seq OWNED BY public.invoices.number;
-- Not owned by anything, and not yet called.
CREATE SEQUENCE public.ticket_seq INCREMENT 5 MINVALUE 5 MAXVALUE 1000000 CYCLE;

CREATE TABLE public.audit_log (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  op text NOT NULL,
  row_data jsonb,
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.events (
  id bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  user_id uuid REFERENCES auth.users (id),
  kind text NOT NULL,
  payload jsonb,
  duration interval,
  client_ip inet
);
CREATE INDEX events_kind_time_idx ON public.events (kind, occurred_at);

CREATE FUNCTION public.log_insert() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO public.audit_log (table_name, op, row_data)
  VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, to_jsonb(NEW));
  RETURN NEW;
END
$$;

CREATE FUNCTION public.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE FUNCTION public.order_total(order_id bigint) RETURNS numeric
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(sum(amount), 0) FROM public.order_lines WHERE order_lines.order_id = $1
$$;

-- Triggers fire while the fixture loads, so the audit log fills; a restore
-- that created them before loading the data would log the rows twice.
CREATE TRIGGER orders_audit AFTER INSERT ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.log_insert();
CREATE TRIGGER items_audit AFTER INSERT ON public.items
  FOR EACH ROW EXECUTE FUNCTION public.log_insert();
CREATE TRIGGER profiles_touch BEFORE UPDATE ON public.profiles
  FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

INSERT INTO public.profiles (id, username, contact, full_name, address, settings, updated_at)
SELECT md5('user' || i)::uuid,
       'user_' || i,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'Contact' || i || '@example.org' END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'User Number ' || i END,
       CASE WHEN i % 3 = 0 THEN NULL
            ELSE ROW(i || ' Main St, "Apt" ' || i, 'Zürich', lpad(i::text, 5, '0'), 'CH')::public.address END,
       CASE WHEN i % 4 = 0 THEN NULL
            ELSE extensions.hstore(ARRAY['theme', 'lang', 'odd key"'], ARRAY['dark', 'de', NULL]) END,
       timestamptz '2025-03-01 00:00:00+00' + i * interval '1 day'
FROM generate_series(1, 200) AS i;

INSERT INTO public.categories (id, parent_id, name) VALUES
  (1, NULL, 'All'), (2, 1, 'Books'), (3, 1, 'Games'), (4, 2, 'Fiction'), (5, 4, 'Sci-Fi');
SELECT setval('public.categories_id_seq', 5);

INSERT INTO public.items (sku, name, category_id, price, tags, attributes, discontinued)
SELECT 'SKU-' || lpad(i::text, 5, '0'),
       'Item ' || i,
       1 + i % 5,
       (i * 1.25)::numeric(12, 2),
       CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY['tag' || (i % 3), 'tag' || (i % 5)] END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE jsonb_build_object('color', (ARRAY['red', 'green', 'blue'])[1 + i % 3], 'weight', i / 10.0) END,
       i % 9 = 0
FROM generate_series(1, 300) AS i;

INSERT INTO public.orders (customer_id, status, total, placed_at, shipping, note)
SELECT md5('user' || (1 + i % 200))::uuid,
       (ARRAY['pending', 'paid', 'shipped', 'cancelled', 'refunded']::public.order_status[])[1 + i % 5],
       0,
       timestamptz '2025-04-01 08:00:00+00' + i * interval '37 minutes',
       CASE WHEN i % 2 = 0 THEN NULL ELSE ROW('Street ' || i, 'Berlin', '10115', 'DE')::public.address END,
       CASE WHEN i % 11 = 0 THEN E'please ring twice\ncall first' END
FROM generate_series(1, 1000) AS i;
-- Explicit ids beside the identity's own, as restores and imports do.
INSERT INTO public.orders (id, customer_id, status, placed_at) VALUES
  (1, md5('user1')::uuid, 'paid', '2024-12-31 23:59:59.999999+00');

INSERT INTO public.order_lines (order_id, line_no, item_id, quantity, unit_price)
SELECT o.id, l, 1 + (o.id * l) % 300, 1 + l, (o.id % 100) + 0.99
FROM public.orders o, generate_series(1, 3) AS l;
UPDATE public.orders SET total = public.order_total(id);

INSERT INTO public.shipments (order_id, line_no, carrier, shipped_at)
SELECT order_id, line_no, 'DHL', timestamptz '2025-05-01 00:00:00+00' + order_id * interval '1 minute'
FROM public.order_lines WHERE order_id % 4 = 0;

INSERT INTO public.reservations (room, during, booked_by)
SELECT 1 + i % 10,
       tstzrange(timestamptz '2025-07-01 00:00:00+00' + (i / 10) * interval '1 day',
                 timestamptz '2025-07-01 00:00:00+00' + (i / 10) * interval '1 day' + interval '20 hours'),
       md5('user' || (1 + i % 200))::uuid
FROM generate_series(0, 99) AS i;

INSERT INTO public.invoices (order_id, issued_on, amount)
SELECT id, date '2025-04-02' + (id % 90)::integer, total FROM public.orders WHERE status = 'paid';
-- Numbers handed out and voided since: the next invoice is 20001, whatever the table holds.
SELECT setval('public.invoice_number_seq', 20000);

UPDATE public.profiles SET full_name = full_name || ' (updated)' WHERE username LIKE 'user\_1%';

INSERT INTO public.events (occurred_at, user_id, kind, payload, duration, client_ip)
SELECT timestamptz '2025-01-01 00:00:00+00' + i * interval '61 seconds',
       CASE WHEN i % 13 = 0 THEN NULL ELSE md5('user' || (1 + i % 200))::uuid END,
       (ARRAY['login', 'logout', 'page_view', 'purchase', 'error'])[1 + i % 5],
       CASE WHEN i % 17 = 0 THEN NULL
            ELSE jsonb_build_object('i', i, 'path', '/p/' || (i % 97), 'ok', i % 5 <> 4,
                                    'note', CASE WHEN i % 5 = 4 THEN E'stack:\n\tat line ' || i END) END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE make_interval(secs => i % 3600 + 0.125) END,
       CASE WHEN i % 19 = 0 THEN NULL ELSE ('10.' || (i % 256) || '.' || (i / 256 % 256) || '.1')::inet END
FROM generate_series(1, 50000) AS i;
-- Rows deleted since: the sequence is ahead of max(id).
DELETE FROM public.events WHERE id > 49990;

CREATE VIEW public.order_summaries AS
  SELECT o.id, p.username, o.status, o.total, count(l.*) AS lines
  FROM public.orders o
  JOIN public.profiles p ON p.id = o.customer_id
  LEFT JOIN public.order_lines l ON l.order_id = o.id
  GROUP BY o.id, p.username;
COMMENT ON VIEW public.order_summaries IS 'One line per order.';

CREATE MATERIALIZED VIEW public.daily_event_counts AS
  SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AS day, kind, count(*) AS n
  FROM public.events
  GROUP BY 1, 2;
CREATE UNIQUE INDEX daily_event_counts_idx ON public.daily_event_counts (day, kind);

-- Row level security ---------------------------------------------------

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Profiles are viewable by everyone" ON public.profiles FOR SELECT USING (true);
CREATE POLICY "Users can update their own profile" ON public.profiles FOR UPDATE TO authenticated
  USING (auth.uid() = id) WITH CHECK (auth.uid() = id);

ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_owner ON public.orders TO authenticated USING (customer_id = auth.uid());
CREATE POLICY orders_service ON public.orders AS PERMISSIVE FOR ALL TO service_role USING (true);
CREATE POLICY orders_no_refunds ON public.orders AS RESTRICTIVE FOR INSERT TO authenticated
  WITH CHECK (status <> 'refunded');

ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Public avatars" ON storage.objects FOR SELECT TO anon, authenticated
  USING (bucket_id = 'avatars');
CREATE POLICY "Own documents" ON storage.objects FOR ALL TO authenticated
  USING (bucket_id = 'documents' AND owner = auth.uid());

-- ai ------------------------------------------------------------------

CREATE TABLE ai.documents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner uuid REFERENCES auth.users (id),
  source_object uuid REFERENCES storage.objects (id) ON DELETE SET NULL,
  title text NOT NULL,
  body text,
  metadata jsonb,
  created_at timestamptz NOT NULL
);

CREATE TABLE ai.embeddings (
  id bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES ai.documents (id) ON DELETE CASCADE,
  chunk integer NOT NULL,
  content text,
  embedding real[] NOT NULL CHECK (array_length(embedding, 1) = 384),
  model text NOT NULL DEFAULT 'all-MiniLM-L6-v2',
  UNIQUE (document_id, chunk)
);
COMMENT ON COLUMN ai.embeddings.embedding IS '384-dimension sentence embedding.';

INSERT INTO ai.documents (owner, source_object, title, body, metadata, created_at)
SELECT md5('user' || (1 + i % 200))::uuid,
       CASE WHEN i % 3 = 0 THEN md5('object' || i)::uuid END,
       'Document ' || i,
       repeat('Lorem ipsum dolor sit amet. ', 1 + i % 20),
       jsonb_build_object('lang', 'en', 'pages', i % 12),
       timestamptz '2025-05-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 250) AS i;
-- A trigger that changes the rows it sees, created after the rows: a
-- data-only script loaded after the schema-only one must not fire it.
CREATE FUNCTION ai.stamp_title() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := NEW.title || ' (stamped)'; RETURN NEW; END $$;
CREATE TRIGGER documents_stamp BEFORE INSERT ON ai.documents FOR EACH ROW EXECUTE FUNCTION ai.stamp_title();

INSERT INTO ai.embeddings (document_id, chunk, content, embedding)
SELECT 1 + (i - 1) / 4,
       (i - 1) % 4,
       'chunk ' || i,
       ARRAY(SELECT sin(i * 384 + j)::real FROM generate_series(1, 384) AS j)
FROM generate_series(1, 1000) AS i;

ALTER TABLE ai.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON ai.documents USING (owner = auth.uid());

CREATE FUNCTION ai.match_documents(query real[], match_count integer DEFAULT 5)
RETURNS TABLE (document_id bigint, score double precision)
LANGUAGE sql STABLE
AS $$
  SELECT e.document_id,
         (SELECT sum(a * b) FROM unnest(e.embedding, query) AS v(a, b)) AS score
  FROM ai.embeddings e
  ORDER BY score DESC
  LIMIT match_count
$$;

ANALYZE;
