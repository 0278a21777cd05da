-- constraints: rows the snapshot holds that its own constraints would
-- refuse today. CHECK constraints added NOT VALID after rows that break
-- them: on a plain table (one with a comment), on a partitioned table
-- (cloned onto every partition), on one partition only, on an inheritance
-- parent (inherited by its child); a foreign key added NOT VALID over
-- orphan rows; a domain's check added NOT VALID over stored values (in a
-- column of the domain and in an array of it); names that quoting done
-- wrong would let out of a literal. A restore must put back exactly these
-- rows and leave each constraint as it was: NOT VALID, with its comment.

CREATE TABLE public.accounts (
  id bigint PRIMARY KEY,
  email text NOT NULL,
  balance numeric NOT NULL
);
INSERT INTO public.accounts
SELECT i, 'user' || i || '@example.com', i - 5 FROM generate_series(1, 20) AS i;
INSERT INTO public.accounts VALUES (21, 'not an address', 0);
ALTER TABLE public.accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;
ALTER TABLE public.accounts ADD CONSTRAINT accounts_email_check CHECK (email LIKE '%@%') NOT VALID;
COMMENT ON CONSTRAINT accounts_balance_check ON public.accounts IS 'Accounts opened before 2024 may be overdrawn.';
INSERT INTO public.accounts
SELECT i, 'user' || i || '@example.com', i FROM generate_series(22, 30) AS i;

-- Orphans: transfers to accounts closed before the key was added.
CREATE TABLE public.transfers (
  id bigint PRIMARY KEY,
  account_id bigint NOT NULL,
  amount numeric NOT NULL
);
INSERT INTO public.transfers
SELECT i, CASE WHEN i % 10 = 0 THEN 1000 + i ELSE 1 + i % 30 END, i * 1.5
FROM generate_series(1, 60) AS i;
ALTER TABLE public.transfers ADD CONSTRAINT transfers_account_id_fkey
  FOREIGN KEY (account_id) REFERENCES public.accounts (id) NOT VALID;

CREATE TABLE public.readings (
  id bigint NOT NULL,
  taken date NOT NULL,
  value numeric,
  PRIMARY KEY (id, taken)
) PARTITION BY RANGE (taken);
CREATE TABLE public.readings_2023 PARTITION OF public.readings
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public.readings_2024 PARTITION OF public.readings
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO public.readings
SELECT i, date '2023-01-01' + i * 3, i - 40 FROM generate_series(0, 200) AS i;
ALTER TABLE public.readings ADD CONSTRAINT readings_value_check CHECK (value >= 0) NOT VALID;
-- One partition only: values were capped from 2024 on.
ALTER TABLE public.readings_2024 ADD CONSTRAINT readings_2024_cap CHECK (value < 100) NOT VALID;
INSERT INTO public.readings VALUES (1000, '2024-12-31', 1);

-- Inheritance: the child inherits the parent's NOT VALID check.
CREATE TABLE public.notes (
  id bigint PRIMARY KEY,
  body text
);
CREATE TABLE public.pinned_notes (
  pinned_at timestamptz NOT NULL
) INHERITS (public.notes);
INSERT INTO public.notes VALUES (1, ''), (2, 'second');
INSERT INTO public.pinned_notes VALUES (3, '', '2024-01-01 00:00:00+00'), (4, 'fourth', '2024-02-01 00:00:00+00');
ALTER TABLE public.notes ADD CONSTRAINT notes_body_check CHECK (body <> '') NOT VALID;

-- A domain whose check was added NOT VALID over values already stored.
CREATE DOMAIN public.country_code AS text;
CREATE TABLE public.offices (
  id bigint PRIMARY KEY,
  country public.country_code NOT NULL,
  previous public.country_code[]
);
INSERT INTO public.offices VALUES (1, 'de', NULL), (2, 'usa', '{gb}'), (3, 'fr', '{deu,at}');
ALTER DOMAIN public.country_code ADD CONSTRAINT country_code_check CHECK (length(VALUE) = 2) NOT VALID;
COMMENT ON CONSTRAINT country_code_check ON DOMAIN public.country_code IS 'ISO 3166-1 alpha-2; older rows may hold alpha-3.';
INSERT INTO public.offices VALUES (4, 'nl', '{be}');

-- Names that quoting done wrong would let out of a string literal or a
-- dollar quote, on a table whose NOT VALID check (with a comment) is
-- older than one of its rows.
CREATE TABLE public."ledger $restorectl$ it's \ odd" (
  id int PRIMARY KEY,
  amount numeric NOT NULL
);
INSERT INTO public."ledger $restorectl$ it's \ odd" VALUES (1, -5), (2, 3);
ALTER TABLE public."ledger $restorectl$ it's \ odd"
  ADD CONSTRAINT "positive $restorectl$ 'amount'" CHECK (amount > 0) NOT VALID;
COMMENT ON CONSTRAINT "positive $restorectl$ 'amount'" ON public."ledger $restorectl$ it's \ odd"
  IS 'Refunds were negative; it''s \ fine.';
