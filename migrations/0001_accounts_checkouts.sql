-- Accounts and published checkouts: shared by every API and worker process, and kept beyond
-- Temporal's history. Ids compare and sort byte-wise (COLLATE "C"), as the API and the file stores did.

-- One row per merchant account: the Account document as the API and activities read it. Secrets
-- (Keap API keys, OAuth tokens) are inside it, as they were in accounts.json. Updates are
-- read-modify-write under SELECT ... FOR UPDATE, so concurrent processes never lose one another's.
CREATE TABLE accounts (
  account_id text COLLATE "C" PRIMARY KEY,
  account jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The latest published version of each checkout (written by the API). `version` grows by one per
-- publish; a publish increments it in one statement, so concurrent publishes get distinct versions.
CREATE TABLE checkouts (
  account_id text COLLATE "C" NOT NULL,
  checkout_id text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  -- The StoredCheckout document (its accountId, checkoutId and version equal the columns).
  checkout jsonb NOT NULL,
  PRIMARY KEY (account_id, checkout_id)
);

-- The latest sync record of each checkout (written by the worker only): a table of its own, so
-- the API's publishes and the worker's results never write the same row.
CREATE TABLE checkout_syncs (
  account_id text COLLATE "C" NOT NULL,
  checkout_id text COLLATE "C" NOT NULL,
  record jsonb NOT NULL,
  PRIMARY KEY (account_id, checkout_id)
);

-- One-time imports of what earlier versions kept in files (data/accounts.json, data/checkouts/):
-- a row says that source was imported into this database, so it is never imported again.
CREATE TABLE file_imports (
  source text PRIMARY KEY,
  items integer NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now()
);
