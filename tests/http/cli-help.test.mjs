// The README's command synopsis (the code block under "## The command") against
// `broadsheet --help`, which cli.c generates from the command table: every command in one is in
// the other, with the same arguments and options, word for word. A command added to the table
// and not to the README (or the other way round, or with different options) fails here.
//
// Both may wrap a long synopsis: in the README a line starting with white space continues the
// line before; in --help a command starts two spaces in, continues four in, and its summary is
// indented eight.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runCli } from '../lib/server.mjs';

// The command's words: the leading all-lowercase tokens ("org range add"), the key both sides
// are compared by.
const wordsOf = (tokens) => {
  const words = [];
  for (const t of tokens) {
    if (!/^[a-z]+$/.test(t)) break;
    words.push(t);
  }
  return words.join(' ');
};

// A map from each command's words to its whole synopsis (tokens joined by single spaces).
function synopses(lines) {
  const map = new Map();
  for (const tokens of lines.map((l) => l.trim().split(/\s+/))) {
    const key = wordsOf(tokens);
    assert.ok(key, `no command words in "${tokens.join(' ')}"`);
    assert.ok(!map.has(key), `"${key}" is listed twice`);
    map.set(key, tokens.join(' '));
  }
  return map;
}

function readmeSynopses() {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## The command$/m)[1];
  assert.ok(section, 'README.md has no "## The command" section');
  const block = /^```\n([\s\S]*?)^```$/m.exec(section);
  assert.ok(block, 'no code block in the README\'s "## The command" section');
  const lines = [];
  for (const line of block[1].split('\n')) {
    if (!line.trim()) continue;
    if (/^\s/.test(line)) {
      assert.ok(lines.length, `a continuation line with nothing to continue: "${line}"`);
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else {
      assert.match(line, /^broadsheet /, `a README synopsis line that is not a command: "${line}"`);
      lines.push(line.slice('broadsheet '.length));
    }
  }
  return synopses(lines);
}

function helpSynopses() {
  const r = runCli(['--help']);
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.split(/^commands:$/m)[1]?.split(/^options of every command/m)[0];
  assert.ok(section, `no "commands:" section in --help:\n${r.stdout}`);
  const lines = [];
  for (const line of section.split('\n')) {
    if (/^ {2}\S/.test(line)) lines.push(line);
    else if (/^ {4}\S/.test(line)) lines[lines.length - 1] += ` ${line.trim()}`;
    else assert.ok(!line.trim() || /^ {8}\S/.test(line), `an --help line out of place: "${line}"`);
  }
  return synopses(lines);
}

test('every command in the README is in --help, with the same synopsis', () => {
  const readme = readmeSynopses();
  const help = helpSynopses();
  for (const [words, synopsis] of readme) {
    assert.ok(help.has(words), `the README lists "${words}", which --help does not`);
    assert.equal(synopsis, help.get(words), `the synopsis of "${words}" differs`);
  }
});

test('every command in --help is in the README', () => {
  const readme = readmeSynopses();
  const missing = [...helpSynopses().keys()].filter((words) => !readme.has(words));
  assert.deepEqual(missing, [], `--help has commands the README's synopsis lacks: ${missing.join(', ')}`);
});

test('`help COMMAND` and `COMMAND --help` print that command\'s usage', () => {
  for (const args of [['help', 'plan', 'add'], ['plan', 'add', '--help'], ['article', 'list', '--help']]) {
    const r = runCli(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    const words = args.filter((a) => a !== 'help' && a !== '--help').join(' ');
    assert.ok(r.stdout.startsWith(`usage: broadsheet ${words} `), `${args.join(' ')}:\n${r.stdout}`);
  }
});

test('a usage error names the command and prints its usage, nothing else', () => {
  const r = runCli(['article', 'list', '--foo']);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines[0], 'broadsheet: article list: unknown option --foo');
  assert.match(lines[1], /^usage: broadsheet article list /);
  assert.ok(lines.length <= 5, `more than the command's usage:\n${r.stderr}`);
});
