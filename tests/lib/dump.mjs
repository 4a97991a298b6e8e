// A database's rows as text, for tests that compare two copies of a site (db copy): every table
// in name order, each row's columns in SQLite's quoted form (NULL, 12, 'text', X'00ff'), rows in
// the order of all their columns, then the schema version. Two databases holding the same site
// give the same text, byte for byte.

import { execFileSync } from 'node:child_process';
import { SQLITE } from './accounts.mjs';

const query = (db, sql) => execFileSync(SQLITE, ['-batch', '-cmd', '.mode quote', db, sql],
  { encoding: 'utf8' });

export function dumpSqlite(db) {
  // The search index (search_*: migration 014) is derived from the articles and rebuilt, not
  // copied, by db copy: an FTS5 index's bytes depend on the order it was written in.
  const tables = query(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND " +
    "name NOT LIKE 'sqlite%' AND name NOT LIKE 'search!_%' ESCAPE '!' ORDER BY name").trim().split('\n').map((t) => t.replace(/^'|'$/g, ''));
  let out = '';
  for (const t of tables) {
    const n = Number(query(db, `SELECT count(*) FROM pragma_table_info('${t}')`).trim());
    const order = Array.from({ length: n }, (_, i) => i + 1).join(', ');
    out += `-- ${t}\n${query(db, `SELECT * FROM "${t}" ORDER BY ${order}`)}`;
  }
  return `${out}-- version ${query(db, 'PRAGMA user_version')}`;
}
