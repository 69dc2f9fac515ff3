import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InboxWatcher } from '../../src/intake/inbox-watcher.js';
import { waitFor } from '../helpers/cli.js';

/**
 * SPEC 3.1 with a real folder and real watcher events: complete files only, temp names never,
 * files present at start found by the rescan, and a file still being written holds up no other.
 */
let dir: string;
let watcher: InboxWatcher | null = null;
let taken: { name: string; size: number; tenant?: string }[];
let errors: unknown[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kasi-watch-'));
  mkdirSync(join(dir, 'acme'));
  mkdirSync(join(dir, 'globex'));
  taken = [];
  errors = [];
});
afterEach(async () => {
  await watcher?.stop();
  watcher = null;
  rmSync(dir, { recursive: true, force: true });
});

function start(settleMs: number, rescanMs: number, doneMarkers = false, tenants = ['acme']): void {
  watcher = new InboxWatcher({
    folders: tenants.map((tenant) => ({ tenant, dir: join(dir, tenant) })),
    settleMs,
    rescanMs,
    doneMarkers,
    take: async (folder, path, name) => {
      const { statSync, rmSync: rm } = await import('node:fs');
      taken.push({ name, size: statSync(path).size, ...(tenants.length > 1 ? { tenant: folder.tenant } : {}) });
      rm(path); // as intake does: the file leaves the inbox
    },
    onError: (err) => errors.push(err),
  });
  watcher.start();
}
const inbox = (name: string) => join(dir, 'acme', name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('InboxWatcher', () => {
  it('takes files present at start and files dropped later, each once; never temp names', async () => {
    writeFileSync(inbox('policies-early.csv'), 'a\n');
    for (const t of ['x.tmp', '.hidden.csv', 'y.part', 'z.filepart', 'w.csv.crdownload']) writeFileSync(inbox(t), 'tmp\n');
    start(200, 300);
    await waitFor('the early file', () => taken.length >= 1);
    writeFileSync(inbox('policies-late.csv'), 'bb\n');
    await waitFor('the late file', () => taken.length >= 2);
    await sleep(1_000); // several more scans
    expect(taken).toEqual([
      { name: 'policies-early.csv', size: 2 },
      { name: 'policies-late.csv', size: 3 },
    ]);
    expect(errors).toEqual([]);
  });

  it('a file written slowly is taken once, complete', async () => {
    start(700, 200);
    const parts = ['head', 'er\nC1,', 'E1,P1', ',FUN,1.00\n', 'C2,E2,P2,FUN,2.00\n'];
    for (const p of parts) {
      appendFileSync(inbox('policies-slow.csv'), p);
      await sleep(250);
    }
    await waitFor('the slow file', () => taken.length >= 1);
    await sleep(900);
    expect(taken).toEqual([{ name: 'policies-slow.csv', size: parts.join('').length }]);
  });

  it('a file still being written does not hold up another file', async () => {
    start(500, 400);
    writeFileSync(inbox('policies-ready.csv'), 'ready\n');
    // keep appending for ~4 s, far longer than the ready file needs (settle 0.5 s, rescan 0.4 s)
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 40 && writing; i++) {
        appendFileSync(inbox('policies-growing.csv'), `line ${i}\n`);
        await sleep(100);
      }
    })();
    try {
      await waitFor('the ready file while the other grows', () => taken.some((t) => t.name === 'policies-ready.csv'), 3_000);
      expect(taken.map((t) => t.name)).toEqual(['policies-ready.csv']);
    } finally {
      writing = false;
      await writer;
    }
  });

  it('watches several folders: files in each of them settle and are taken', async () => {
    start(300, 200, false, ['acme', 'globex']);
    writeFileSync(join(dir, 'acme', 'policies-a.csv'), 'a\n');
    writeFileSync(join(dir, 'globex', 'policies-g.csv'), 'gg\n');
    await waitFor('a file from each folder', () => taken.length >= 2, 5_000);
    expect(taken.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'policies-a.csv', size: 2, tenant: 'acme' },
      { name: 'policies-g.csv', size: 3, tenant: 'globex' },
    ]);
  });

  it('done-marker mode waits for <name>.done and removes it', async () => {
    start(100, 200, true);
    writeFileSync(inbox('policies-m.csv'), 'm\n');
    await sleep(800);
    expect(taken).toEqual([]);
    writeFileSync(inbox('policies-m.csv.done'), '');
    await waitFor('the marked file', () => taken.length >= 1);
    await waitFor('the marker to go', async () => !(await import('node:fs')).existsSync(inbox('policies-m.csv.done')));
    expect(taken).toEqual([{ name: 'policies-m.csv', size: 2 }]);
  });
});
