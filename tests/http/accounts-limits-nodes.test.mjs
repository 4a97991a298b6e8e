// Rate limits shared by two server processes on one SQLite file (WAL: several processes may
// open one database; the limits live in it, table rate_limits): failed log-ins alternated
// between the two are counted against one allowance, and a burst split over both lets no more
// than the limit through. The same scenarios run on PostgreSQL in tests/pgsql/limits-nodes
// (tests/lib/limits-nodes.mjs); this file always uses a SQLite file, also under `make pg-test`.

import { test, after } from 'node:test';
import { rmSync } from 'node:fs';
import path from 'node:path';

import { tmpDir } from '../lib/server.mjs';
import { alternatedAttempts, concurrentBurst } from '../lib/limits-nodes.mjs';

const dir = tmpDir('broadsheet-limits-nodes-');
after(() => rmSync(dir, { recursive: true, force: true }));

test('two processes on one SQLite file: log-in attempts alternated between them count against one limit; both refuse with Retry-After',
  { timeout: 60_000 }, () => alternatedAttempts(path.join(dir, 'alternated.db')));

test('two processes on one SQLite file: a concurrent burst split over both lets no more than the limit through',
  { timeout: 60_000 }, () => concurrentBurst(path.join(dir, 'burst.db')));
