// The ninjs validator proves itself (issue 13): with the official IPTC schema and examples
// (tests/conformance/ninjs), every example validates, and not-valid-008_extension.json fails
// with the error it exists to show (a property ninjs 2.2 does not define). Items the server
// makes are checked with the same validator in partners-ninjs-items.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { validateNinjs, validateNinjsFormatsAsAnnotations, assertNinjs, conformanceDir }
  from '../lib/ninjs.mjs';

const examplesDir = path.join(conformanceDir, 'examples-2.2');
const read = (file) => JSON.parse(readFileSync(file, 'utf8'));
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();

test('the official examples are there (seven in ninjs 2.2)', () => {
  assert.equal(examples.length, 7, examples.join(', '));
});

for (const file of examples) {
  test(`official example ${file} is valid ninjs 2.2`, () => {
    const item = read(path.join(examplesDir, file));
    if (file !== '002_renditions_example.json') {
      assertNinjs(item, file);
      return;
    }
    // Its uri, "renditions-example", is a relative reference: valid where "format" is an
    // annotation (JSON Schema 2020-12's default, as IPTC validates its examples), and that one
    // assertion is all our stricter check (formats asserted) finds in it.
    assert.deepEqual(validateNinjsFormatsAsAnnotations(item), { valid: true, errors: [] });
    const { valid, errors } = validateNinjs(item);
    assert.equal(valid, false);
    assert.deepEqual(errors, ['/uri: must match format "uri" {"format":"uri"}']);
    assertNinjs({ ...item, uri: 'http://example.com/renditions-example' }, file);
  });
}

test('not-valid-008_extension.json fails: embargoedreason is not a ninjs 2.2 property', () => {
  const item = read(path.join(conformanceDir, 'not-valid-008_extension.json'));
  for (const check of [validateNinjs, validateNinjsFormatsAsAnnotations]) {
    const { valid, errors } = check(item);
    assert.equal(valid, false);
    assert.deepEqual(errors,
      ['/: must NOT have unevaluated properties {"unevaluatedProperty":"embargoedreason"}']);
  }
  // Without the extension it is a valid item: that property is the whole difference.
  const { embargoedreason, ...rest } = item;
  assert.ok(embargoedreason);
  assertNinjs(rest, 'not-valid-008 without embargoedreason');
  assert.throws(() => assertNinjs(item, 'not-valid-008'), /embargoedreason/);
});

test('the validator checks types, enums, formats and shapes, reporting every error', () => {
  const ok = {
    uri: 'https://example.com/articles/1', type: 'text', version: '2',
    versioncreated: '2026-12-06T16:58:19Z', pubstatus: 'usable',
    headlines: [{ role: 'main', value: 'A' }], rightsinfo: { linkedrights: 'https://example.com/r' },
  };
  assertNinjs(ok, 'a small item');
  const bad = {
    ...ok, version: 2, pubstatus: 'live', firstcreated: '6 December 2026',
    headlines: [{ role: 'main' }], rightsinfo: {}, subjects: [{ name: 'x', uri: 'not a uri' }],
  };
  const { valid, errors } = validateNinjs(bad);
  assert.equal(valid, false);
  for (const where of ['/version', '/pubstatus', '/firstcreated', '/headlines/0', '/rightsinfo',
    '/subjects/0/uri']) {
    assert.ok(errors.some((e) => e.startsWith(`${where}:`)), `no error at ${where}: ${errors}`);
  }
  assert.deepEqual(validateNinjs({ type: 'text' }).valid, false, 'uri is required');
});
