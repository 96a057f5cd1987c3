-- The ledger of Keap writes: every Keap record Sales Sync creates (an order by our key, a payment by
-- its id, a contact by email, a product by SKU, the order-key custom field), per Keap app. A row is
-- written 'pending' (committed) before the Keap call and 'written' with Keap's id after it, under an
-- advisory lock on the same key, so whichever process or workflow tries next, months later or on
-- another host, knows whether a write may exist: none (write at once), written (use it), or pending
-- (an earlier try may have committed in Keap: look there first).
CREATE TABLE keap_records (
  app_key text NOT NULL,
  kind text NOT NULL,
  -- Our key exactly as written: keys that differ only in case are different records.
  record_key text COLLATE "C" NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'written')),
  keap_id text,
  detail jsonb,
  attempts integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_key, kind, record_key),
  CHECK (state = 'pending' OR keap_id IS NOT NULL)
);

-- Pacing per Keap app (API key or OAuth connection), shared by every worker process: the next free
-- call slot and the spacing Keap's headers report, on the database's clock.
CREATE TABLE keap_rate_limits (
  credential_key text PRIMARY KEY,
  spacing_ms double precision NOT NULL,
  next_slot_ms double precision NOT NULL,
  paused_until_ms double precision NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Orders the API has handed to Temporal, so a repeat post is recognised after the order's workflow
-- history is gone (namespace retention): the content fingerprint tells a repeat from a conflict.
CREATE TABLE orders (
  account_id text COLLATE "C" NOT NULL,
  order_id text COLLATE "C" NOT NULL,
  workflow_id text NOT NULL,
  content_fingerprint text NOT NULL,
  -- Set once Temporal accepted the order (a start or the placeOrder update); until then a repeat post
  -- tries again.
  placed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, order_id)
);
