import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';

/**
 * Checks that the repository stands alone: no file refers to a path outside it (the folder
 * beside the checkout, an absolute path of the machine it was written on) and every relative
 * link in the Markdown resolves to a file or folder of the repository. Used by the unit test and
 * by the clone test, which runs them again in a fresh clone with no sibling folders.
 */
export interface Finding {
  file: string;
  line: number;
  text: string;
  problem: string;
}

/** Spelled in pieces so this file does not find itself. */
const OUTSIDE: readonly { re: RegExp; problem: string }[] = [
  { re: new RegExp(['\\.\\.', 'shared'].join('/')), problem: 'points to a folder beside the repository' },
  { re: new RegExp('(^|[\\s\'"`(=:])/' + 'work/'), problem: 'an absolute path of the machine it was written on' },
  { re: new RegExp('(^|[\\s\'"`(=:])/' + 'Users/'), problem: 'an absolute path of the machine it was written on' },
];

const BINARY = new Set(['.ttf', '.pdf', '.png', '.jpg', '.xlsx', '.gz', '.sqlite', '.ico', '.woff', '.woff2']);

/** The repository's files: tracked plus new untracked ones (git), or every file when git is absent. */
export function repoFiles(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // regular files only: a symlinked node_modules (the clone test) is an untracked "file" to git
    return out.split('\0').filter((f) => f && existsSync(join(root, f)) && lstatSync(join(root, f)).isFile());
  } catch {
    return walk(root, root);
  }
}

function walk(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === '.git' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(root, p));
    else out.push(relative(root, p).split(sep).join('/'));
  }
  return out;
}

function textOf(root: string, file: string): string | null {
  if (BINARY.has(extname(file).toLowerCase()) || file.startsWith('test/fixtures/bad/')) return null;
  const buf = readFileSync(join(root, file));
  return buf.includes(0) ? null : buf.toString('utf8');
}

/** Every line of a text file that names a path outside the repository. */
export function outsidePaths(root: string, files = repoFiles(root)): Finding[] {
  const found: Finding[] = [];
  for (const file of files) {
    const text = textOf(root, file);
    if (text === null) continue;
    text.split('\n').forEach((line, i) => {
      for (const o of OUTSIDE) if (o.re.test(line)) found.push({ file, line: i + 1, text: line.trim(), problem: o.problem });
    });
  }
  return found;
}

const LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** Relative links in Markdown files whose target is not in the repository (fenced code is skipped). */
export function brokenLinks(root: string, files = repoFiles(root)): Finding[] {
  const found: Finding[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    let fenced = false;
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        if (fenced) return;
        for (const m of line.replace(/`[^`]*`/g, '').matchAll(LINK)) {
          const target = m[1]!;
          if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
          const path = decodeURIComponent(target.split('#')[0]!);
          const abs = resolve(root, dirname(file), path);
          const inside = !relative(root, abs).startsWith('..');
          if (!inside) found.push({ file, line: i + 1, text: target, problem: 'links outside the repository' });
          else if (!existsSync(abs)) found.push({ file, line: i + 1, text: target, problem: 'links to a file that does not exist' });
        }
      });
  }
  return found;
}

const SOURCE_PATH = /`((?:src|test|bench|test-crash|deploy|schemas)\/[A-Za-z0-9_./-]+\.(?:ts|yml|xsd|json))`/g;

/** Project files named in backticks in the Markdown (`src/domain/calendar.ts`) that do not exist: a doc left behind by a move. */
export function staleSourcePaths(root: string, files = repoFiles(root)): Finding[] {
  const found: Finding[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(SOURCE_PATH)) {
          if (!existsSync(join(root, m[1]!))) found.push({ file, line: i + 1, text: m[1]!, problem: 'names a project file that does not exist' });
        }
      });
  }
  return found;
}

export const describeFindings = (f: readonly Finding[]): string[] => f.map((x) => `${x.file}:${x.line}: ${x.problem}: ${x.text}`);
