// Reading the server's /metrics: a strict parser of Prometheus' text exposition format (0.0.4)
// that throws on any line the format does not allow, and helpers to read one figure. Tests use
// it to watch the cache work (hits, misses, invalidations) rather than guessing from timings.

import { get } from './util.mjs';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// Parses a sample line's value: a Go float (also NaN, +Inf, -Inf).
function parseValue(text, line) {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new Error(`not a number: ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  }
  return Number(text);
}

// Parses `{a="x",b="y"}` at text[i] (just past the metric name). Returns [labels, next index].
function parseLabels(text, i, line) {
  const labels = {};
  if (text[i] !== '{') return [labels, i];
  i++;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`no '=' in the labels of ${JSON.stringify(line)}`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in ${JSON.stringify(line)}`);
    if (name in labels) throw new Error(`label ${name} twice in ${JSON.stringify(line)}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in ${JSON.stringify(line)}`);
    let value = '';
    let j = eq + 2;
    for (;; j++) {
      if (j >= text.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
      const c = text[j];
      if (c === '"') break;
      if (c === '\\') {
        const next = text[++j];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in ${JSON.stringify(line)}`);
      } else {
        value += c;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected ',' or '}' in ${JSON.stringify(line)}`);
  }
  return [labels, i + 1];
}

// The family a sample name belongs to, given the declared types: a histogram's _bucket, _sum
// and _count samples belong to it.
function familyOf(name, types) {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === 'histogram' || types.get(base) === 'summary') return base;
    }
  }
  return name;
}

// A series' key: its name and labels in a fixed order, `name{a="x",b="y"}` (values unescaped).
export function seriesKey(name, labels = {}) {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

// Parses exposition text. Throws on anything the format does not allow, and on what this
// server must never do: a family's samples not together, a TYPE after its samples or twice, a
// series twice, a histogram whose buckets are not cumulative or whose +Inf bucket is not its
// _count. Returns {types: Map family→type, samples: [{name, labels, value}], values: Map
// seriesKey→value}.
export function parseExposition(text) {
  if (text.length && !text.endsWith('\n')) throw new Error('the text does not end with a line feed');
  const types = new Map();
  const helps = new Set();
  const samples = [];
  const values = new Map();
  const finished = new Set(); // families whose samples are over
  let current = null; // the family of the last sample
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`a comment that is neither HELP nor TYPE: ${JSON.stringify(line)}`);
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown type in ${JSON.stringify(line)}`);
        if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
        if (finished.has(name) || current === name) throw new Error(`TYPE for ${name} after its samples`);
        types.set(name, rest);
      } else {
        if (helps.has(name)) throw new Error(`HELP twice for ${name}`);
        // Help text escapes only \\ and \n: with the pairs taken out, every \ left starts \n.
        if (/\\(?!n)/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in ${JSON.stringify(line)}`);
        helps.add(name);
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${JSON.stringify(line)}`);
    const [labels, i] = parseLabels(line, nameEnd, line);
    if (line[i] !== ' ') throw new Error(`no space before the value in ${JSON.stringify(line)}`);
    const fields = line.slice(i + 1).split(' ');
    if (fields.length > 2 || (fields.length === 2 && !/^-?\d+$/.test(fields[1]))) {
      throw new Error(`bad value or timestamp in ${JSON.stringify(line)}`);
    }
    const value = parseValue(fields[0], line);
    const family = familyOf(name, types);
    if (family !== current) {
      if (finished.has(family)) throw new Error(`samples of ${family} are not together (${JSON.stringify(line)})`);
      if (current) finished.add(current);
      current = family;
    }
    const key = seriesKey(name, labels);
    if (values.has(key)) throw new Error(`series twice: ${key}`);
    values.set(key, value);
    samples.push({ name, labels, value });
  }
  checkHistograms(types, samples, values);
  return { types, samples, values };
}

// Every histogram: per label set, buckets rising in le and cumulative, a +Inf bucket equal to
// _count, and a _sum.
function checkHistograms(types, samples, values) {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map();
    for (const s of samples) {
      if (s.name !== `${family}_bucket`) continue;
      if (!('le' in s.labels)) throw new Error(`${family}_bucket without le`);
      const { le, ...rest } = s.labels;
      const key = seriesKey(family, rest);
      if (!groups.has(key)) groups.set(key, { rest, buckets: [] });
      groups.get(key).buckets.push([parseValue(le, le), s.value]);
    }
    for (const { rest, buckets } of groups.values()) {
      let lastLe = -Infinity;
      let lastCount = 0;
      for (const [le, count] of buckets) {
        if (!(le > lastLe)) throw new Error(`${family}${JSON.stringify(rest)}: le not rising at ${le}`);
        if (count < lastCount) throw new Error(`${family}${JSON.stringify(rest)}: buckets not cumulative at le=${le}`);
        lastLe = le;
        lastCount = count;
      }
      if (lastLe !== Infinity) throw new Error(`${family}${JSON.stringify(rest)}: no +Inf bucket`);
      const count = values.get(seriesKey(`${family}_count`, rest));
      if (count !== lastCount) throw new Error(`${family}${JSON.stringify(rest)}: +Inf ${lastCount}, _count ${count}`);
      if (!values.has(seriesKey(`${family}_sum`, rest))) throw new Error(`${family}${JSON.stringify(rest)}: no _sum`);
    }
  }
}

// Fetches and parses url (a /metrics). Resolves with parseExposition's result plus the response
// (status and headers checked by the caller).
export async function scrape(url) {
  const res = await get(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}\n${text}`);
  return { res, text, ...parseExposition(text) };
}

// The value of one series in a scrape's values, or 0 when it is absent (a counter that has not
// moved yet is not shown).
export function value(metrics, name, labels = {}) {
  return metrics.values.get(seriesKey(name, labels)) ?? 0;
}
