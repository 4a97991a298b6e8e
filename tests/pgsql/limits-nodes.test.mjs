// Rate limits shared by two app nodes on one PostgreSQL database (table rate_limits, one
// INSERT … ON CONFLICT DO UPDATE per attempt): failed log-ins alternated between node A and
// node B are counted against one limit, reached after as many attempts as on a single node, and
// the refusal on either names a Retry-After; a concurrent burst split over both lets no more
// than the limit through. The scenarios are tests/lib/limits-nodes.mjs (tests/http/
// accounts-limits-nodes runs them on one SQLite file). Runs under `make pg-test`.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { tmpDir, freshDatabase } from '../lib/server.mjs';
import { alternatedAttempts, concurrentBurst } from '../lib/limits-nodes.mjs';

assert.ok(process.env.BROADSHEET_TEST_PG_DIR,
  'BROADSHEET_TEST_PG_DIR must name a running test cluster (run these with `make pg-test`)');

const dir = tmpDir('broadsheet-pgsql-limits-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('two nodes on one PostgreSQL database: log-in attempts alternated between them count against one limit; both refuse with Retry-After',
  { timeout: 60_000 }, () => alternatedAttempts(freshDatabase(dir)));

test('two nodes on one PostgreSQL database: a concurrent burst split over both lets no more than the limit through',
  { timeout: 60_000 }, () => concurrentBurst(freshDatabase(dir)));
