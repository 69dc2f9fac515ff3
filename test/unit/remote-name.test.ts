import { describe, expect, test } from 'vitest';
import { validateRemoteName, validateRemoteRelPath } from '../../src/sftp/remote-name.js';
import { RemoteSettleTracker, selectInbound, DEFAULT_INBOUND_PATTERNS, RESULTS_PATTERN } from '../../src/sftp/inbound-selection.js';
import type { RemoteEntry } from '../../src/sftp/sftp-session.js';

describe('validateRemoteName', () => {
  test.each([
    ['policies-2025-11.csv'],
    ['income 2025-11 (final).csv'],
    ['políticas-ñ.csv'],
    ['..policies.csv'], // dots inside a single component are harmless
    ['a'.repeat(255)],
    ['é'.repeat(127)], // 254 bytes
  ])('accepts %j', (name) => {
    expect(validateRemoteName(name)).toEqual({ ok: true });
  });

  test.each([
    ['', 'NAME_EMPTY', 'empty file name'],
    ['.', 'NAME_DOT', '"." is a directory reference, not a file name'],
    ['..', 'NAME_DOT', '".." is a directory reference, not a file name'],
    ['../../etc/passwd', 'NAME_SEPARATOR', '"../../etc/passwd" contains a path separator'],
    ['policies/../../x.csv', 'NAME_SEPARATOR', '"policies/../../x.csv" contains a path separator'],
    ['/etc/passwd', 'NAME_SEPARATOR', '"/etc/passwd" contains a path separator'],
    ['a\\b.csv', 'NAME_SEPARATOR', '"a\\\\b.csv" contains a path separator'],
    ['..\\..\\win.ini', 'NAME_SEPARATOR', '"..\\\\..\\\\win.ini" contains a path separator'],
    ['policies\u0000.csv', 'NAME_CONTROL', '"policies\\u0000.csv" contains a control character'],
    ['policies\n.csv', 'NAME_CONTROL', '"policies\\n.csv" contains a control character'],
    ['policies\r.csv', 'NAME_CONTROL', '"policies\\r.csv" contains a control character'],
    ['policies\t.csv', 'NAME_CONTROL', '"policies\\t.csv" contains a control character'],
    ['policies\u007f.csv', 'NAME_CONTROL', '"policies\\u007f.csv" contains a control character'],
    ['policies\u009b.csv', 'NAME_CONTROL', '"policies\\u009b.csv" contains a control character'],
    ['policies\u001b[2J.csv', 'NAME_CONTROL', '"policies\\u001b[2J.csv" contains a control character'],
    ['policies\ufffd.csv', 'NAME_UNDECODABLE', '"policies\ufffd.csv" is not valid UTF-8'],
    ['a'.repeat(256), 'NAME_TOO_LONG', 'file name is 256 bytes, over the 255-byte limit'],
    ['é'.repeat(128), 'NAME_TOO_LONG', 'file name is 256 bytes, over the 255-byte limit'],
  ])('refuses %j as %s', (name, code, message) => {
    expect(validateRemoteName(name)).toEqual({ ok: false, code, message });
  });
});

describe('validateRemoteRelPath (a delivery name under outbound_dir)', () => {
  test('a plain name or one folder level of plain names; nothing else', () => {
    expect(validateRemoteRelPath('collections-2025-11.csv')).toEqual({ ok: true });
    expect(validateRemoteRelPath('intake/policies.csv.result.csv')).toEqual({ ok: true });
    expect(validateRemoteRelPath('a/b/c.csv')).toEqual({ ok: false, code: 'NAME_SEPARATOR', message: '"a/b/c.csv" is nested deeper than one folder' });
    expect(validateRemoteRelPath('../x.csv')).toEqual({ ok: false, code: 'NAME_DOT', message: '"../x.csv": ".." is a directory reference, not a file name' });
    expect(validateRemoteRelPath('/x.csv')).toEqual({ ok: false, code: 'NAME_EMPTY', message: '"/x.csv": empty file name' });
    expect(validateRemoteRelPath('intake\\x.csv')).toEqual({ ok: false, code: 'NAME_SEPARATOR', message: '"intake\\\\x.csv" contains a path separator' });
  });
});

describe('selectInbound', () => {
  const e = (name: string, size = 10, mtimeMs = 1000, type = '-'): RemoteEntry => ({ name, type, size, mtimeMs });

  test('names are validated before any other rule; temp names, folders and other names are ignored', () => {
    const tracker = new RemoteSettleTracker(0);
    const sel = selectInbound(
      [e('policies-a.csv'), e('policies/../x.csv'), e('processed', 4096, 1000, 'd'), e('policies-b.csv.part'), e('.policies-c.csv'), e('policies-d.tmp'), e('policies-e.csv.filepart'), e('notes.txt'), e('income-1.CSV'), e('policies-link.csv', 10, 1000, 'l'), e('results-1.csv')],
      { patterns: DEFAULT_INBOUND_PATTERNS, doneMarkers: false, tracker, nowMs: 0 },
    );
    expect(sel.ready.map((x) => x.name)).toEqual(['policies-a.csv', 'income-1.CSV']);
    expect(sel.refused).toEqual([{ name: 'policies/../x.csv', code: 'NAME_SEPARATOR', message: '"policies/../x.csv" contains a path separator' }]);
    expect(sel.waiting).toEqual([]);
    const bank = selectInbound([e('results-1.csv'), e('policies-a.csv')], { patterns: [RESULTS_PATTERN], doneMarkers: false, tracker, nowMs: 0 });
    expect(bank.ready.map((x) => x.name)).toEqual(['results-1.csv']);
  });

  test('a file is ready only when size and mtime held still for the settle time', () => {
    const tracker = new RemoteSettleTracker(5000);
    const at = (now: number, size: number, mtime: number) =>
      selectInbound([e('policies.csv', size, mtime)], { patterns: DEFAULT_INBOUND_PATTERNS, doneMarkers: false, tracker, nowMs: now });
    expect(at(0, 10, 1000).waiting).toEqual(['policies.csv']); // first seen
    expect(at(4999, 10, 1000).ready).toEqual([]);
    expect(at(6000, 20, 2000).ready).toEqual([]); // grew: clock restarts
    expect(at(10999, 20, 2000).ready).toEqual([]);
    expect(at(11000, 20, 2000).ready.map((x) => x.name)).toEqual(['policies.csv']);
    expect(at(11000, 20, 3000).ready).toEqual([]); // touched (mtime only): restarts too
  });

  test('a name that disappears is forgotten, so a new file under it settles afresh', () => {
    const tracker = new RemoteSettleTracker(5000);
    const opts = (nowMs: number) => ({ patterns: DEFAULT_INBOUND_PATTERNS, doneMarkers: false, tracker, nowMs });
    selectInbound([e('policies.csv')], opts(0));
    selectInbound([], opts(1000));
    expect(selectInbound([e('policies.csv')], opts(6000)).ready).toEqual([]);
    expect(selectInbound([e('policies.csv')], opts(11000)).ready.map((x) => x.name)).toEqual(['policies.csv']);
  });

  test('done-marker mode waits for <name>.done', () => {
    const tracker = new RemoteSettleTracker(0);
    const opts = { patterns: DEFAULT_INBOUND_PATTERNS, doneMarkers: true, tracker, nowMs: 0 };
    expect(selectInbound([e('policies.csv')], opts)).toEqual({ ready: [], waiting: ['policies.csv'], refused: [] });
    expect(selectInbound([e('policies.csv'), e('policies.csv.done', 0)], opts).ready.map((x) => x.name)).toEqual(['policies.csv']);
  });
});
