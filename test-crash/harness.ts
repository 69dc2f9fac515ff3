import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { SimulatedBank } from '../src/bank/simulator.js';
import { mulberry32 } from '../src/bank/simulator-population.js';
import type { DebitInstruction } from '../src/bank/gateway.js';
import { createZaCalendar } from '../src/domain/calendar.js';
import { addDays, sastInstant, type IsoDate } from '../src/domain/dates.js';
import { formatCents } from '../src/domain/money.js';
import { occurrenceKey } from '../src/domain/cron.js';

/**
 * The crash loop (issue 7, SPEC 9 "a crash (kill -9) at any moment, then a restart"): a whole
 * simulated month on the file gateway, driven through the built CLI's daemon (`kasi daemon` with
 * KASI_NOW), step by step, once undisturbed and once with SIGKILLs at seeded random moments; then
 * the two runtime roots are compared.
 *
 * The month is a fixed timeline of phases, each one daemon run on a pinned clock:
 * - `results` (00:20): the harness, as the bank, answers every debit file the daemon wrote (the
 *   seeded simulated bank decides) with `inbox/bank/results-<date>.csv`; the daemon takes it.
 * - `intake` (00:40): the insurers' files: the policy book and income history on the first day,
 *   then each day's `income-<date>.csv` (the simulated deposits, as an account-information feed).
 * - `schedule` (07:00, weekdays and the 1st–3rd): the daemon's scheduler catches up the day's
 *   occurrences: the 02:00 close step on the 1st/2nd/3rd (report+settle, invoice, pay), the 06:00
 *   batch (which also opens the period).
 * A phase is complete when its files are all finished in the intake ledger (inbox empty) or its
 * occurrences are settled in schedule_runs; then the daemon is stopped with SIGTERM.
 *
 * In the killed run, phases are killed (SIGKILL) before they complete, then restarted with the
 * same clock, until they complete. A kill is either timed (a seeded delay between the daemon's
 * start and the moment the undisturbed run completed that phase) or at a crash point
 * (KASI_CRASH_AT / KASI_CRASH_SKIP: after an intake commit, after the result files, after the
 * move, before/after a file's rename, after a batch stored its attempts, after the debit file
 * was written, after a close step's commit). Each kill is labelled with what was running.
 */
export interface CrashLoopOptions {
  seed: number;
  kills: number;
  from: IsoDate;
  to: IsoDate;
  policiesPerTenant: number;
  /** progress lines */
  out?: (line: string) => void;
  /** keep the two runtime roots (printed) instead of removing them */
  keep?: boolean;
}

export interface CrashLoopResult {
  seed: number;
  kills: number;
  /** what was running when killed: intake:policies, intake:income, results, batch, close_report, close_invoice, close_pay, startup, after */
  byMoment: Record<string, number>;
  /** crash-point kills by point */
  byPoint: Record<string, number>;
  restarts: number;
  /** daemons stopped by a signal the loop did not send (restarted, not counted) */
  outsideStops: number;
  phases: number;
  referenceMs: number;
  killedMs: number;
  problems: string[];
  roots: { reference: string; killed: string };
}

const TENANTS = ['alpha', 'beta'] as const;
const REPO = findRepo();

/**
 * The built CLI, copied when the loop starts: a run takes minutes, and a rebuild of `dist/`
 * meanwhile (half-emitted files) must not change the program under test. The copy lives under
 * node_modules/.cache so that it still resolves the repository's node_modules.
 */
function snapshotCli(): { bin: string; remove(): void } {
  const snap = mkdtempSync(join(REPO, 'node_modules/.cache/kasi-crashloop-'));
  cpSync(join(REPO, 'dist/src'), join(snap, 'dist/src'), { recursive: true });
  cpSync(join(REPO, 'config/default.yaml'), join(snap, 'config/default.yaml'));
  cpSync(join(REPO, 'package.json'), join(snap, 'package.json'));
  cpSync(join(REPO, 'bin/kasi.js'), join(snap, 'bin/kasi.js'));
  cpSync(join(REPO, 'assets'), join(snap, 'assets'), { recursive: true }); // the console's stylesheet, as the Dockerfile ships it
  return { bin: join(snap, 'bin/kasi.js'), remove: () => rmSync(snap, { recursive: true, force: true }) };
}

let KASI_BIN = join(REPO, 'bin/kasi.js');

function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('crash loop: cannot find the repository root');
    dir = up;
  }
  return dir;
}

type PhaseKind = 'results' | 'intake' | 'schedule';

interface Phase {
  kind: PhaseKind;
  day: IsoDate;
  now: string;
  /** schedule: the occurrence keys (step, key) that must settle */
  occurrences: { step: string; key: string }[];
}

/** The fixed timeline of phases between from and to (both runs share it). */
function timeline(from: IsoDate, to: IsoDate): Phase[] {
  const out: Phase[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
    const dom = Number(d.slice(8));
    out.push({ kind: 'results', day: d, now: `${d}T00:20:00+02:00`, occurrences: [] });
    out.push({ kind: 'intake', day: d, now: `${d}T00:40:00+02:00`, occurrences: [] });
    const occ: Phase['occurrences'] = [];
    if (dom <= 3) occ.push({ step: ['close_report', 'close_invoice', 'close_pay'][dom - 1]!, key: occurrenceKey(sastInstant(d, 2)) });
    if (dow >= 1 && dow <= 5) occ.push({ step: 'batch', key: occurrenceKey(sastInstant(d, 6)) });
    if (occ.length) out.push({ kind: 'schedule', day: d, now: `${d}T07:00:00+02:00`, occurrences: occ });
  }
  return out;
}

/** Crash points that a phase of this kind can reach. */
const POINTS: Record<PhaseKind, string[]> = {
  results: ['intake-after-commit', 'intake-after-results', 'intake-after-move', 'write-before-rename', 'write-after-rename'],
  intake: ['intake-after-commit', 'intake-after-results', 'intake-after-move', 'write-before-rename', 'write-after-rename'],
  schedule: ['after-submit', 'after-present', 'close-after-commit', 'close-after-commit', 'write-before-rename', 'write-after-rename'],
};

/** One runtime root: config, the simulated bank and insurers, the daemon runs. */
class World {
  readonly root: string;
  readonly bank: SimulatedBank;
  readonly customers: Record<string, string[]>;
  private readonly deposits = new Map<string, Map<IsoDate, string[]>>();
  private readonly answered = new Set<string>();
  /** files dropped so far (tenant folder, name) */
  readonly dropped: { folder: string; name: string; kind: string }[] = [];
  db: Database.Database | null = null;

  constructor(
    label: string,
    private readonly opts: CrashLoopOptions,
  ) {
    this.root = mkdtempSync(join(tmpdir(), `kasi-crashloop-${label}-`));
    const calendar = createZaCalendar();
    this.bank = new SimulatedBank({ seed: opts.seed, calendar });
    this.customers = {};
    TENANTS.forEach((t, k) => {
      this.customers[t] = Array.from({ length: opts.policiesPerTenant }, (_, i) => `C${String(k * opts.policiesPerTenant + i + 1).padStart(7, '0')}`);
    });
    const historyFrom = addDays(opts.from, -92);
    for (const t of TENANTS) {
      const byDay = new Map<IsoDate, string[]>();
      for (const c of this.customers[t]!) {
        for (const e of this.bank.depositsFor(c, historyFrom, opts.to)) {
          const line = `${c},${e.date},${formatCents(e.amountCents)}\n`;
          const list = byDay.get(e.date);
          if (list) list.push(line);
          else byDay.set(e.date, [line]);
        }
      }
      this.deposits.set(t, byDay);
    }
    mkdirSync(join(this.root, 'config'), { recursive: true });
    const tenants: Record<string, unknown> = {};
    TENANTS.forEach((t, k) => {
      mkdirSync(join(this.root, 'inbox', t), { recursive: true });
      tenants[t] = {
        name: `${t[0]!.toUpperCase()}${t.slice(1)} Funeral Insurance Ltd`,
        vat_number: `41000000${k}0`,
        intake: 'folder',
        bank_account: { holder: `${t} insurance`, bank: 'Absa', branch_code: '632005', number: `40123456${k}8`, type: 'current' },
      };
    });
    mkdirSync(join(this.root, 'inbox/bank'), { recursive: true });
    writeFileSync(
      join(this.root, 'config/local.yaml'),
      stringify({
        database: 'sqlite:data/kasi.sqlite',
        gateway: 'file',
        intake: { settle_seconds: 0 },
        schedules: { inbox_rescan_seconds: 0.2 },
        daemon: { catch_up_days: 0.5, lease_seconds: 1, retry_seconds: 0, tick_seconds: 0.2, shutdown_seconds: 20 },
        http: { port: 0, host: '127.0.0.1' },
        tenants,
      }),
    );
  }

  /** Put a file into an inbox the way an insurer's tool should: complete, then renamed into place. */
  private drop(folder: string, name: string, content: string, kind: string): void {
    const dir = join(this.root, 'inbox', folder);
    const tmp = join(dir, `.${name}.part`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(dir, name));
    this.dropped.push({ folder, name, kind });
  }

  /** Drop the phase's files; returns how many. */
  async prepare(p: Phase): Promise<number> {
    const before = this.dropped.length;
    if (p.kind === 'results') {
      const dir = join(this.root, 'outbox/bank');
      const files = existsSync(dir) ? readdirSync(dir).filter((n) => /^debits-\d{8}-\d{3}\.csv$/.test(n) && !this.answered.has(n)).sort() : [];
      for (const f of files) {
        this.answered.add(f);
        const lines = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').slice(1);
        const instructions: DebitInstruction[] = lines.map((l) => {
          const [instructionId, tenant, policyNumber, customerId, externalCustomerRef, amount, actionDate, presentment] = l.split(',');
          return {
            instructionId: instructionId!,
            tenant: tenant!,
            policyNumber: policyNumber!,
            customerId: customerId!,
            externalCustomerRef: externalCustomerRef!,
            amountCents: Math.round(Number(amount) * 100),
            actionDate: actionDate!,
            presentment: Number(presentment),
          };
        });
        if (instructions.length === 0) continue;
        let csv = 'instruction_id,result,amount_collected,reason_code,processed_date\n';
        for (const r of await this.bank.present(instructions[0]!.actionDate, instructions)) {
          csv += `${r.instructionId},${r.result},${formatCents(r.amountCollectedCents)},${r.reasonCode ?? ''},${r.processedDate}\n`;
        }
        this.drop('bank', `results-${f.slice(7, 19)}.csv`, csv, 'results');
      }
    } else if (p.kind === 'intake') {
      for (const t of TENANTS) {
        if (p.day === this.opts.from) {
          let book = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';
          for (const c of this.customers[t]!) book += `${c},EXT-${c.slice(1)},POL-${c.slice(1)},FUNERAL-BASIC,${formatCents(this.bank.premiumFor(c))},active\n`;
          this.drop(t, `policies-${t}.csv`, book, 'policies');
          const history = [...this.deposits.get(t)!.entries()].filter(([d]) => d < p.day).sort(([a], [b]) => (a < b ? -1 : 1));
          if (history.length) this.drop(t, `income-history-${t}.csv`, 'customer_id,date,amount\n' + history.flatMap(([, l]) => l).join(''), 'income');
        }
        const today = this.deposits.get(t)!.get(p.day);
        if (today?.length) this.drop(t, `income-${p.day}.csv`, 'customer_id,date,amount\n' + today.join(''), 'income');
      }
    }
    return this.dropped.length - before;
  }

  openDb(): Database.Database {
    if (!this.db) {
      this.db = new Database(join(this.root, 'data/kasi.sqlite'), { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 10000');
    }
    return this.db;
  }

  /** Unfinished dropped files of this phase (by kind), or unsettled occurrences. */
  pending(p: Phase, firstDropped: number): string[] {
    if (!existsSync(join(this.root, 'data/kasi.sqlite'))) return ['startup'];
    try {
      return this.pendingIn(p, firstDropped);
    } catch {
      this.close(); // not migrated yet
      return ['startup'];
    }
  }

  private pendingIn(p: Phase, firstDropped: number): string[] {
    const db = this.openDb();
    if (p.kind === 'schedule') {
      const out: string[] = [];
      for (const o of p.occurrences) {
        const row = db.prepare('SELECT status FROM schedule_runs WHERE step = ? AND occurrence = ?').get(o.step, o.key) as { status: string } | undefined;
        if (!row || (row.status !== 'done' && row.status !== 'skipped')) out.push(o.step);
      }
      return out;
    }
    const out: string[] = [];
    for (const f of this.dropped.slice(firstDropped)) {
      const row = db.prepare('SELECT finished_at FROM intake_files WHERE tenant_id = ? AND name = ? AND finished_at IS NOT NULL').get(f.folder, f.name);
      if (!row || existsSync(join(this.root, 'inbox', f.folder, f.name))) out.push(p.kind === 'results' ? 'results' : `intake:${f.kind}`);
    }
    return out;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}

interface Run {
  child: ChildProcess;
  started: () => boolean;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedNow: () => boolean;
}

function daemon(root: string, now: string, extra: Record<string, string> = {}): Run {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KASI_') && !k.startsWith('VITEST') && v !== undefined) env[k] = v;
  // the clock stands (a nanosecond per second): every run of a phase sees the same instant, as the
  // undisturbed one did, so stored times and the documents that show them are comparable byte for byte
  Object.assign(env, { KASI_ROOT: root, KASI_NOW: now, KASI_SPEED: '1e-9', KASI_LOG_LEVEL: 'info' }, extra);
  const child = spawn(process.execPath, [KASI_BIN, 'daemon'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let up = false;
  let done = false;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 200_000) err = err.slice(-100_000);
    if (!up && d.includes('kasi daemon started')) up = true;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('close', (code, signal) => {
      done = true;
      res({ code, signal });
    }),
  );
  return { child, started: () => up, stderr: () => err, exited, exitedNow: () => done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the phase is complete or the child exits; true when complete. */
async function untilComplete(w: World, p: Phase, firstDropped: number, run: Run, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (w.pending(p, firstDropped).length === 0) return true;
    if (run.exitedNow()) return w.pending(p, firstDropped).length === 0;
    if (run.stderr().includes('failed for good')) throw new Error(`phase ${p.kind} ${p.day}: a step failed for good; daemon log tail:\n${run.stderr().slice(-3000)}`);
    if (Date.now() > until) throw new Error(`phase ${p.kind} ${p.day} did not complete in ${timeoutMs} ms; daemon log tail:\n${run.stderr().slice(-3000)}`);
    await sleep(25);
  }
}

/** SIGTERM and wait: a completed phase's daemon must stop cleanly (exit 0). */
async function stop(run: Run, problems: string[], what: string): Promise<void> {
  // a SIGTERM before the daemon installed its handlers would end it the default way (no drain):
  // the phase may be complete the moment a restarted daemon opens the store
  for (let k = 0; k < 1200 && !run.started() && !run.exitedNow(); k++) await sleep(25);
  run.child.kill('SIGTERM');
  const t = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const r = await run.exited;
  clearTimeout(t);
  if (r.code !== 0) problems.push(`${what}: the daemon stopped with ${r.code ?? r.signal} after SIGTERM; log tail:\n${run.stderr().slice(-2000)}`);
  const errors = run.stderr().split('\n').filter((l) => l.includes('"level":50') || l.includes('"level":60'));
  if (errors.length) problems.push(`${what}: error lines in the daemon log:\n${errors.slice(0, 3).join('\n')}`);
}

interface Timing {
  startedMs: number;
  doneMs: number;
}

/** The undisturbed run: every phase once; records when each phase's daemon was up and done. */
async function referenceRun(w: World, phases: Phase[], problems: string[], out: (l: string) => void): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (const p of phases) {
    const first = w.dropped.length;
    const n = await w.prepare(p);
    if (p.kind !== 'schedule' && n === 0) {
      timings.push({ startedMs: 0, doneMs: 0 });
      continue;
    }
    const t0 = Date.now();
    let run = daemon(w.root, p.now);
    let startedMs = 0;
    void (async () => {
      while (!run.exitedNow() && !run.started()) await sleep(5);
      startedMs = Date.now() - t0;
    })();
    while (!(await untilComplete(w, p, first, run, 120_000))) {
      const r = await run.exited;
      if (r.signal !== 'SIGTERM' && r.signal !== 'SIGINT') throw new Error(`reference ${p.kind} ${p.day}: the daemon exited with ${r.code ?? r.signal}; log tail:\n${run.stderr().slice(-2000)}`);
      run = daemon(w.root, p.now); // stopped from outside: start it again
    }
    const doneMs = Date.now() - t0;
    await stop(run, problems, `reference ${p.kind} ${p.day}`);
    timings.push({ startedMs: startedMs || doneMs, doneMs });
  }
  out(`reference run: ${phases.length} phases`);
  return timings;
}

/**
 * How many kills each phase may take: the close phases a tenth of the budget each (reserved), the
 * rest spread at random over the other phases twice over, since a phase that completes (there is
 * little work in it) hands what it did not use on to the next one.
 */
function killPlan(phases: Phase[], kills: number, rnd: () => number): { plan: number[]; reserved: number[] } {
  const plan = phases.map(() => 0);
  const closes = phases.map((p, i) => (p.occurrences.some((o) => o.step.startsWith('close_')) ? i : -1)).filter((i) => i >= 0);
  const perClose = Math.round(kills / 10);
  for (const i of closes) plan[i] = perClose;
  let left = 2 * (kills - perClose * closes.length);
  const others = phases.map((_, i) => i).filter((i) => !closes.includes(i));
  while (left > 0 && others.length) {
    plan[others[Math.floor(rnd() * others.length)]!]!++;
    left--;
  }
  // reserved[i]: the close kills of phases after i, which earlier phases must leave alone
  const reserved = phases.map((_, i) => closes.filter((c) => c > i).length * perClose);
  return { plan, reserved };
}

export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopResult> {
  const out = opts.out ?? (() => {});
  const problems: string[] = [];
  const phases = timeline(opts.from, opts.to);
  mkdirSync(join(REPO, 'node_modules/.cache'), { recursive: true });
  const cli = snapshotCli();
  KASI_BIN = cli.bin;
  const ref = new World('reference', opts);
  const hit = new World('killed', opts);
  const result: CrashLoopResult = {
    seed: opts.seed,
    kills: 0,
    byMoment: {},
    byPoint: {},
    restarts: 0,
    outsideStops: 0,
    phases: phases.length,
    referenceMs: 0,
    killedMs: 0,
    problems,
    roots: { reference: ref.root, killed: hit.root },
  };
  try {
    let t = Date.now();
    const timings = await referenceRun(ref, phases, problems, out);
    result.referenceMs = Date.now() - t;
    const rnd = mulberry32(opts.seed);
    const { plan, reserved } = killPlan(phases, opts.kills, rnd);
    t = Date.now();
    let carry = 0;
    for (const [i, p] of phases.entries()) {
      const first = hit.dropped.length;
      await hit.prepare(p);
      if (p.kind !== 'schedule' && hit.dropped.length === first) {
        carry += plan[i]!;
        continue;
      }
      let budget = Math.max(0, Math.min(plan[i]! + carry, opts.kills - result.kills - reserved[i]!));
      carry = Math.max(0, plan[i]! + carry - budget);
      const timing = timings[i]!;
      let misses = 0;
      // the last phase spends what is left of the budget: timed kills only (a crash point may no
      // longer be reached), most of them of a daemon starting up or sitting idle after its work
      const last = i === phases.length - 1;
      let onlyTimed = false;
      for (;;) {
        const useCrashPoint = budget > 0 && !onlyTimed && rnd() < (p.occurrences.some((o) => o.step.startsWith('close_')) ? 0.85 : 0.65) && misses < 3;
        const extra: Record<string, string> = {};
        if (useCrashPoint) {
          // the write points twice as likely: every step passes them many times. In a close phase
          // mostly the next rename: each kill there lets the restart get one file further, so the
          // close is killed file by file (a point already passed would let the phase complete)
          const close = p.occurrences.some((o) => o.step.startsWith('close_'));
          const points = close && rnd() < 0.85 ? ['write-before-rename', 'write-after-rename'] : [...POINTS[p.kind], 'write-before-rename', 'write-after-rename'];
          extra.KASI_CRASH_AT = points[Math.floor(rnd() * points.length)]!;
          const r = rnd();
          extra.KASI_CRASH_SKIP = close || r < 0.6 ? '0' : r < 0.9 ? '1' : '2';
        }
        // a timed kill: between just before the daemon was up and when the undisturbed run was done
        const delay = Math.max(1, Math.round(timing.startedMs * 0.9 + rnd() * (timing.doneMs - timing.startedMs * 0.9) * 0.9));
        hit.close();
        const run = daemon(hit.root, p.now, extra);
        result.restarts++;
        if (budget > 0 && !useCrashPoint) {
          await sleep(delay);
          // killed at the drawn moment even when the work is already done: a daemon mostly sits idle
          if (!run.exitedNow()) {
            run.child.kill('SIGKILL');
            await run.exited;
            hit.close();
            const moment = run.started() ? (hit.pending(p, first)[0] ?? 'after') : 'startup';
            result.byMoment[moment] = (result.byMoment[moment] ?? 0) + 1;
            result.kills++;
            budget--;
            continue;
          }
        }
        const complete = await untilComplete(hit, p, first, run, 120_000);
        if (run.exitedNow() && !complete) {
          const r = await run.exited;
          if (r.signal === 'SIGKILL' && extra.KASI_CRASH_AT) {
            hit.close();
            const moment = hit.pending(p, first)[0] ?? 'after';
            result.byMoment[moment] = (result.byMoment[moment] ?? 0) + 1;
            result.byPoint[extra.KASI_CRASH_AT] = (result.byPoint[extra.KASI_CRASH_AT] ?? 0) + 1;
            result.kills++;
            budget--;
            misses = 0;
            continue;
          }
          if (r.signal === 'SIGTERM' || r.signal === 'SIGINT') {
            // stopped from outside (another tool on a shared machine): a graceful stop, restart
            result.outsideStops++;
            continue;
          }
          problems.push(`killed run ${p.kind} ${p.day}: the daemon exited with ${r.code ?? r.signal} before the phase completed; log tail:\n${run.stderr().slice(-2000)}`);
          break;
        }
        if (extra.KASI_CRASH_AT) {
          // the point was not reached (or later than the phase's work): no kill; stop cleanly.
          // A crash point that fires while we stop is still a kill at that point.
          run.child.kill('SIGTERM');
          const r = await run.exited;
          if (r.signal === 'SIGKILL') {
            result.byMoment.after = (result.byMoment.after ?? 0) + 1;
            result.byPoint[extra.KASI_CRASH_AT] = (result.byPoint[extra.KASI_CRASH_AT] ?? 0) + 1;
            result.kills++;
            budget--;
          } else misses++;
          if (last && budget > 0) {
            onlyTimed = true;
            continue;
          }
        } else await stop(run, problems, `killed run ${p.kind} ${p.day}`);
        carry += budget;
        break;
      }
      if (problems.length) break;
      if ((i + 1) % 10 === 0) out(`killed run: ${i + 1}/${phases.length} phases, ${result.kills} kills so far`);
    }
    result.killedMs = Date.now() - t;
    ref.close();
    hit.close();
    if (problems.length === 0) problems.push(...compare(ref, hit));
  } finally {
    cli.remove();
    ref.close();
    hit.close();
    if (!opts.keep && problems.length === 0) {
      rmSync(ref.root, { recursive: true, force: true });
      rmSync(hit.root, { recursive: true, force: true });
    }
  }
  return result;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Every file under these folders of a root: relative path → sha256 of its bytes. One exception:
 * a settlement's `id` is a random UUID (two independent runs draw different ones; a killed and
 * redone step reuses the stored one), so UUIDs in JSON are masked, and a `.sha256` sidecar is
 * checked against its file's real bytes instead of compared.
 */
function files(root: string, folders: string[]): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        let digest = sha256(n.endsWith('.json') ? bytes.toString('utf8').replace(UUID, '<uuid>') : bytes);
        const of = p.slice(0, -'.sha256'.length);
        if (n.endsWith('.sha256') && existsSync(of)) {
          digest = bytes.toString('utf8') === `${sha256(readFileSync(of))}  ${n.slice(0, -'.sha256'.length)}\n` ? 'sidecar matches its file' : `sidecar does not match its file`;
        }
        m.set(relative(root, p), digest);
      }
    }
  };
  for (const f of folders) walk(join(root, f));
  return m;
}

const VOLATILE = /^(id|owner|lease_until|detail|attempts|settlement_id|error|migration_time)$|_at$/;

/** Every table's rows without ids, times and lease bookkeeping, root paths made relative. */
function tables(w: World): Record<string, string[]> {
  const db = new Database(join(w.root, 'data/kasi.sqlite'), { readonly: true });
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'knex%' AND name NOT LIKE 'sqlite%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    const out: Record<string, string[]> = {};
    for (const t of names) {
      if (t === 'intake_claims' || t === 'batch_chunks') continue;
      const rows = db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[];
      out[t] = rows
        .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !VOLATILE.test(k)).map(([k, v]) => [k, typeof v === 'string' ? v.replaceAll(w.root, '<root>') : v]))))
        .sort();
    }
    return out;
  } finally {
    db.close();
  }
}

/** The invariants: the killed run equals the undisturbed one, and holds on its own. */
function compare(ref: World, hit: World): string[] {
  const problems: string[] = [];
  // outputs and archive byte for byte
  const a = files(ref.root, ['outbox', 'archive', 'failed', 'inbox']);
  const b = files(hit.root, ['outbox', 'archive', 'failed', 'inbox']);
  for (const [p, h] of a) if (b.get(p) !== h) problems.push(b.has(p) ? `${p}: differs from the undisturbed run` : `${p}: missing after the kills`);
  for (const p of b.keys()) if (!a.has(p)) problems.push(`${p}: only in the killed run`);
  // no temp file anywhere, nothing left in the inbox
  for (const p of b.keys()) {
    const name = p.split('/').pop()!;
    if (name.startsWith('.') || name.endsWith('.tmp')) problems.push(`${p}: temp file left behind`);
    if (p.startsWith('inbox/')) problems.push(`${p}: left in the inbox`);
  }
  // every dropped file archived exactly once
  const archived = [...b.keys()].filter((p) => p.startsWith('archive/')).map((p) => `${p.split('/')[1]}/${p.split('/').pop()}`).sort();
  const droppedNames = hit.dropped.map((d) => `${d.folder}/${d.name}`).sort();
  if (JSON.stringify(archived) !== JSON.stringify(droppedNames)) problems.push(`archive: ${archived.length} files for ${droppedNames.length} dropped (each must be archived exactly once)`);
  // no instruction presented twice: each id once across every debit file
  const ids = new Map<string, number>();
  for (const p of b.keys()) {
    if (!/^outbox\/bank\/debits-.*\.csv$/.test(p)) continue;
    for (const l of readFileSync(join(hit.root, p), 'utf8').trimEnd().split('\n').slice(1)) ids.set(l.split(',')[0]!, (ids.get(l.split(',')[0]!) ?? 0) + 1);
  }
  const twice = [...ids].filter(([, n]) => n > 1);
  if (twice.length) problems.push(`instructions presented more than once: ${twice.slice(0, 5).map(([i, n]) => `${i}×${n}`).join(', ')}`);
  if (ids.size === 0) problems.push('no debit was presented at all: the month did not run');
  // the store
  const ta = tables(ref);
  const tb = tables(hit);
  for (const t of Object.keys(ta)) {
    const ra = ta[t]!;
    const rb = tb[t] ?? [];
    if (JSON.stringify(ra) !== JSON.stringify(rb)) {
      const onlyA = ra.filter((r) => !rb.includes(r));
      const onlyB = rb.filter((r) => !ra.includes(r));
      problems.push(`table ${t}: ${ra.length} rows undisturbed, ${rb.length} after kills; e.g. only undisturbed ${onlyA.slice(0, 2).join(' ')} only killed ${onlyB.slice(0, 2).join(' ')}`);
    }
  }
  const statuses = tb.intake_files?.map((r) => (JSON.parse(r) as { status: string }).status) ?? [];
  if (statuses.some((s) => s !== 'applied')) problems.push(`intake_files: not all applied: ${[...new Set(statuses)].join(', ')}`);
  return problems;
}

/** For the report: the kills by category. */
export function summarize(r: CrashLoopResult): string {
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((x, y) => y[1] - x[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  return [
    `seed ${r.seed}: ${r.kills} kills over ${r.phases} phases (${r.restarts} daemon starts${r.outsideStops ? `, ${r.outsideStops} stopped by someone else and restarted` : ''}), reference ${(r.referenceMs / 1000).toFixed(1)} s, killed run ${(r.killedMs / 1000).toFixed(1)} s`,
    `  moments: ${fmt(r.byMoment)}`,
    `  crash points: ${fmt(r.byPoint)}`,
    r.problems.length ? `  FAILED: ${r.problems.length} problems\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n  roots kept: ${r.roots.reference} ${r.roots.killed}` : '  invariants hold: same policies, attempts, reports, settlements, invoices, settlement CSVs, EFT files, archive; no instruction twice; no temp file',
  ].join('\n');
}
