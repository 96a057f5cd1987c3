-- Accounts and published checkouts: shared by every API and worker process, and kept beyond
-- Temporal's history. Ids compare and sort byte-wise (COLLATE "C"), as the API and the file stores did.
-- Documents are json, not jsonb: kept as written, key order included, so the API answers as before.

-- One row per merchant account: the Account document as the API and activities read it. Secrets
-- (Keap API keys, OAuth tokens) are inside it, as they were in accounts.json. Updates are
-- read-modify-write under SELECT ... FOR UPDATE, so concurrent processes never lose one another's.
CREATE TABLE accounts (
  account_id text COLLATE "C" PRIMARY KEY,
  account json NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The latest published version of each checkout (written by the API). A publish is one upsert that
-- adds one to `version`, so concurrent publishes from any processes get distinct, consecutive versions.
CREATE TABLE checkouts (
  account_id text COLLATE "C" NOT NULL,
  checkout_id text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  sku text NOT NULL,
  sku_derived boolean NOT NULL,
  definition json NOT NULL,
  -- ISO timestamps as the API wrote them.
  published_at text NOT NULL,
  first_published_at text NOT NULL,
  PRIMARY KEY (account_id, checkout_id)
);

-- The latest sync record of each checkout (written by the worker only): a table of its own, so
-- the API's publishes and the worker's results never write the same row.
CREATE TABLE checkout_syncs (
  account_id text COLLATE "C" NOT NULL,
  checkout_id text COLLATE "C" NOT NULL,
  record json NOT NULL,
  PRIMARY KEY (account_id, checkout_id)
);

-- One-time imports of what earlier versions kept in files (data/accounts.json, data/checkouts/):
-- a row says that source was looked at for this database and how many items it gave, so it is
-- never imported again.
CREATE TABLE file_imports (
  source text PRIMARY KEY,
  items integer NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT now()
);
