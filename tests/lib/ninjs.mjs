// The ninjs 2.2 validator of the test harness (issue 13): the official IPTC JSON Schema
// (tests/conformance/ninjs/ninjs-schema_2.2.json, copied from ../shared: see its SOURCE),
// compiled once with ajv's JSON Schema 2020-12 build and ajv-formats (the schema says
// "format": "date-time" and "uri", which are checked, not just annotations), strict, reporting
// all errors. tests/http/partners-ninjs-schema.test.mjs proves it checks: the official examples
// pass and not-valid-008_extension.json fails.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const conformanceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
  '../conformance/ninjs');
export const schemaPath = path.join(conformanceDir, 'ninjs-schema_2.2.json');

// strict, except strictRequired: the official schema names required properties inside oneOf
// branches whose siblings declare them (contactinfoType), a pattern that lint rejects but
// that validates as the schema means.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
addFormats(ajv);
// The schema's one outside reference, places[].geojson, is to https://geojson.org/schema/GeoJSON.json,
// which is not in this repository and not fetched (tests never reach the network). It stands
// in as a GeoJSON object with a GeoJSON "type": neither our items nor the official examples
// carry a place's geojson, so nothing the tests validate depends on the difference.
ajv.addSchema({
  $id: 'https://geojson.org/schema/GeoJSON.json',
  type: 'object',
  required: ['type'],
  properties: {
    type: {
      enum: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon',
        'GeometryCollection', 'Feature', 'FeatureCollection'],
    },
  },
});
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const validate = ajv.compile(schema);

// { valid, errors }: errors is [] when valid, else ajv's, each as "PATH: MESSAGE (PARAMS)".
export function validateNinjs(item) {
  const valid = validate(item);
  const errors = valid ? [] : validate.errors.map((e) =>
    `${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
  return { valid, errors };
}

// The same schema with "format" as an annotation only (JSON Schema 2020-12's default, which
// the official examples are written against: 002_renditions_example.json's uri is
// "renditions-example", a relative reference, not the absolute URI the "uri" format asserts).
// Only the schema test uses it, to show that difference is the one; items are checked by
// validateNinjs, formats asserted.
const lenient = new Ajv2020({ strict: true, strictRequired: false, allErrors: true,
  validateFormats: false });
lenient.addSchema(ajv.getSchema('https://geojson.org/schema/GeoJSON.json').schema);
const validateLenient = lenient.compile(schema);
export function validateNinjsFormatsAsAnnotations(item) {
  const valid = validateLenient(item);
  return { valid, errors: valid ? [] : validateLenient.errors.map((e) =>
    `${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`) };
}

// Fails with every schema error when item is not a valid ninjs 2.2 item; what names it.
export function assertNinjs(item, what = 'item') {
  const { valid, errors } = validateNinjs(item);
  assert.ok(valid, `${what} is not valid ninjs 2.2:\n  ${errors.join('\n  ')}`);
}
