import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokenLinks, describeFindings, outsidePaths, staleSourcePaths } from '../helpers/repo-checks.js';

/**
 * The repository stands alone (issue 14): nothing in it points outside it, every Markdown link
 * resolves, and the standard files the tests need (the pain.001 schema) are part of it. The clone
 * test (test/e2e/clone.test.ts) runs this file again in a fresh clone with no sibling folders.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the repository stands alone', () => {
  it('no file names a path outside the repository', () => {
    expect(describeFindings(outsidePaths(ROOT))).toEqual([]);
  });

  it('every relative link in the Markdown resolves inside the repository', () => {
    expect(describeFindings(brokenLinks(ROOT))).toEqual([]);
  });

  it('every project file the Markdown names in backticks exists (no doc left behind by a move)', () => {
    expect(describeFindings(staleSourcePaths(ROOT))).toEqual([]);
  });

  it('carries the ISO 20022 pain.001.001.03 schema, byte for byte as published', () => {
    const xsd = readFileSync(join(ROOT, 'schemas/pain.001.001.03.xsd'));
    expect(createHash('sha256').update(xsd).digest('hex')).toBe('87bd9b06f7f74128764d304af60f96f0d5583c92031113a892048272c8934d14');
    expect(readFileSync(join(ROOT, 'schemas/README.md'), 'utf8')).toContain('pain.001.001.03.xsd');
  });
});

describe('the docs', () => {
  const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

  it('the README is a front door: short, with the two quick-start commands', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(160);
    const commands = readme.split('\n').filter((l) => /^npm ci && npm /.test(l));
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('every code of the bad-input corpus is explained in docs/bad-input.md', () => {
    const corpus = JSON.parse(read('test/fixtures/bad/expected.json')) as { files: { expected?: { errors?: { code: string }[] } }[] };
    const codes = [...new Set(corpus.files.flatMap((f) => (f.expected?.errors ?? []).map((e) => e.code)))].sort();
    expect(codes.length).toBeGreaterThan(30);
    const doc = read('docs/bad-input.md');
    expect(codes.filter((c) => !doc.includes(`| \`${c}\` |`))).toEqual([]);
  });

  it('every page in docs/ is listed in the docs index, and the specification has its nine numbered sections', () => {
    const index = read('docs/README.md');
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pages.filter((p) => !index.includes(`](${p})`))).toEqual([]);
    const sections = read('docs/specification.md')
      .split('\n')
      .filter((l) => /^## \d+\. /.test(l))
      .map((l) => Number(/^## (\d+)\./.exec(l)![1]));
    expect(sections).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the checks find what they look for', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kasi-repo-checks-'));
    mkdirSync(join(dir, 'docs'));
    const outside = ['..', 'shared', 'SPEC.md'].join('/');
    writeFileSync(join(dir, 'README.md'), ['# x', '[ok](docs/a.md) [gone](docs/b.md#top) [web](https://example.com) [here](#x)', `see ${outside}`, '```', '[in code](nowhere.md)', '```', ''].join('\n'));
    writeFileSync(join(dir, 'docs/a.md'), ['[up](../README.md) [out](../../elsewhere.md)', ''].join('\n'));
    writeFileSync(join(dir, 'code.ts'), [`const p = '/${'work'}/main/x';`, `const q = '/app/data';`, ''].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each outside path and broken link with file and line', () => {
    const files = ['README.md', 'docs/a.md', 'code.ts'];
    expect(describeFindings(outsidePaths(dir, files))).toEqual([
      `README.md:3: points to a folder beside the repository: see ${['..', 'shared', 'SPEC.md'].join('/')}`,
      `code.ts:1: an absolute path of the machine it was written on: const p = '/${'work'}/main/x';`,
    ]);
    expect(describeFindings(brokenLinks(dir, files))).toEqual([
      'README.md:2: links to a file that does not exist: docs/b.md#top',
      'docs/a.md:1: links outside the repository: ../../elsewhere.md',
    ]);
  });
});
