-- views: views and materialized views that need more of what they read
-- than its definition. A summary view that groups by its base table's
-- primary key and selects the table's other columns (valid only through
-- the key, so pg_dump creates a placeholder view and replaces it once the
-- key is added); a view over that view, grouping by another table's key; a
-- materialized view grouping by a key; materialized views over
-- materialized views (daily, then monthly, then yearly rollups: each
-- refresh needs the one before it populated); and materialized views
-- left unpopulated: one created WITH NO DATA over a rollup, and one
-- emptied under another (pg_dump refreshes neither, nor the one over it,
-- and a restore must not either).

CREATE TABLE public.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  country text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.customers IS 'Who buys.';

CREATE TABLE public.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES public.customers (id),
  placed_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'placed',
  total numeric(12, 2) NOT NULL
);
CREATE INDEX orders_customer_idx ON public.orders (customer_id);

CREATE TABLE public.order_items (
  order_id bigint NOT NULL REFERENCES public.orders (id) ON DELETE CASCADE,
  line_no int NOT NULL,
  sku text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  unit_price numeric(12, 2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

INSERT INTO public.customers (name, country, created_at)
SELECT 'Customer ' || i, (ARRAY['DE', 'FR', 'US', 'JP'])[1 + i % 4],
       timestamptz '2023-01-01 00:00:00+00' + i * interval '1 day'
FROM generate_series(1, 40) AS i;
INSERT INTO public.orders (customer_id, placed_at, status, total)
SELECT 1 + i % 37, timestamptz '2023-01-01 09:00:00+00' + i * interval '7 hours',
       (ARRAY['placed', 'paid', 'shipped', 'refunded'])[1 + i % 4], (i % 50) * 3.25
FROM generate_series(1, 3000) AS i;
INSERT INTO public.order_items
SELECT o.id, l, 'SKU-' || (o.id * l % 113), 1 + (o.id + l) % 4, 2.50 * (1 + l)
FROM public.orders o, generate_series(1, 1 + (o.id % 3)::int) AS l;

-- Grouped by the primary key: o.customer_id, o.placed_at and o.status are
-- allowed in the select list only because orders.id is the key.
CREATE VIEW public.order_totals AS
  SELECT o.id, o.customer_id, o.placed_at, o.status,
         count(i.line_no) AS lines, coalesce(sum(i.quantity * i.unit_price), 0) AS amount
  FROM public.orders o
  LEFT JOIN public.order_items i ON i.order_id = o.id
  GROUP BY o.id;
COMMENT ON VIEW public.order_totals IS 'One line per order, with its items summed.';

-- A view over that view, grouped by customers' key.
CREATE VIEW public.customer_summaries AS
  SELECT c.id, c.name, c.country, count(t.id) AS orders, coalesce(sum(t.amount), 0) AS spent
  FROM public.customers c
  LEFT JOIN public.order_totals t ON t.customer_id = c.id AND t.status <> 'refunded'
  GROUP BY c.id;

-- A materialized view grouped by a key.
CREATE MATERIALIZED VIEW public.customer_stats AS
  SELECT c.id, c.name, c.country, count(o.id) AS orders, max(o.placed_at) AS last_order
  FROM public.customers c
  LEFT JOIN public.orders o ON o.customer_id = c.id
  GROUP BY c.id;
CREATE UNIQUE INDEX customer_stats_id_idx ON public.customer_stats (id);

-- Rollups: each refresh reads the one before it.
CREATE MATERIALIZED VIEW public.daily_sales AS
  SELECT (placed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS orders, sum(total) AS revenue
  FROM public.orders
  WHERE status <> 'refunded'
  GROUP BY 1;
CREATE UNIQUE INDEX daily_sales_day_idx ON public.daily_sales (day);
CREATE MATERIALIZED VIEW public.monthly_sales AS
  SELECT date_trunc('month', day)::date AS month, sum(orders) AS orders, sum(revenue) AS revenue
  FROM public.daily_sales
  GROUP BY 1;
COMMENT ON MATERIALIZED VIEW public.monthly_sales IS 'Refreshed nightly after daily_sales.';
CREATE MATERIALIZED VIEW public.yearly_sales AS
  SELECT extract(year FROM month)::int AS year, sum(orders) AS orders, sum(revenue) AS revenue
  FROM public.monthly_sales
  GROUP BY 1;

-- Never populated: a forecast over the rollups, created for later.
CREATE MATERIALIZED VIEW public.sales_forecast AS
  SELECT month + interval '1 year' AS month, revenue * 1.1 AS revenue
  FROM public.monthly_sales
  WITH NO DATA;

-- Emptied under another: the weekly rollup was emptied (REFRESH ... WITH
-- NO DATA) after the report over it was refreshed.
CREATE MATERIALIZED VIEW public.weekly_sales AS
  SELECT date_trunc('week', day)::date AS week, sum(orders) AS orders, sum(revenue) AS revenue
  FROM public.daily_sales
  GROUP BY 1;
CREATE MATERIALIZED VIEW public.best_weeks AS
  SELECT week, revenue FROM public.weekly_sales ORDER BY revenue DESC LIMIT 10;
REFRESH MATERIALIZED VIEW public.weekly_sales WITH NO DATA;
