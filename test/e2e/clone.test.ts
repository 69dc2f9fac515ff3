import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

/**
 * A new user's view (issue 14): the repository cloned into an empty folder, with nothing beside
 * it, still carries everything its schema and docs checks need. The clone is of HEAD (what is
 * committed); node_modules is linked from this checkout, as `npm ci` would install the same tree.
 */
let base: string;
let clone: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'kasi-clone-'));
  mkdirSync(join(base, 'only'));
  clone = join(base, 'only', 'kasi');
  execFileSync('git', ['clone', '--quiet', '--no-local', REPO, clone], { stdio: 'pipe' });
  symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'), 'dir');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('a clone with no sibling folders', () => {
  it('is the only thing in its folder and holds HEAD', () => {
    expect(readdirSync(join(base, 'only'))).toEqual(['kasi']);
    const head = (cwd: string) => execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    expect(head(clone)).toBe(head(REPO));
  });

  it('passes the self-contained checks and validates EFT files against its own schema', () => {
    const r = spawnSync(process.execPath, [join(clone, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', 'test/unit/self-contained.test.ts', 'test/unit/eft-renderer.test.ts'], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, VITEST: undefined, VITEST_WORKER_ID: undefined, VITEST_POOL_ID: undefined, NODE_ENV: undefined },
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      numTotalTests: number;
      numFailedTests: number;
      testResults: { name: string; status: string; assertionResults: { fullName: string; failureMessages: string[] }[] }[];
    };
    const failures = report.testResults.flatMap((t) => t.assertionResults.filter((a) => a.failureMessages.length).map((a) => `${a.fullName}: ${a.failureMessages[0]!.split('\n')[0]}`));
    expect(failures).toEqual([]);
    expect(report.testResults.map((t) => [t.name.slice(clone.length + 1), t.status]).sort()).toEqual([
      ['test/unit/eft-renderer.test.ts', 'passed'],
      ['test/unit/self-contained.test.ts', 'passed'],
    ]);
    expect(report.numFailedTests).toBe(0);
    expect(report.numTotalTests).toBeGreaterThanOrEqual(23);
    expect(r.status).toBe(0);
  });
});
