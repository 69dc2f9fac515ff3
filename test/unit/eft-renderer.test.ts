import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eftFileName, eftXml, paymentProblems, xmlText, type EftFile, type EftPayment } from '../../src/outbox/eft.renderer.js';
import { expectGolden } from '../fixtures/golden/golden.js';
import { AMOUNTS, PROVIDER, PROVIDER_ACCOUNT, STATEMENT, TENANT, TENANT_ACCOUNT } from '../fixtures/golden/small-month.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA = resolve(repoRoot, 'schemas/pain.001.001.03.xsd');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kasi-eft-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function xmllint(xml: string, args: string[]): { status: number | null; out: string; stdout: string } {
  const path = join(dir, `f-${++files}.xml`);
  writeFileSync(path, xml);
  const r = spawnSync('xmllint', [...args, path], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout };
}
const validate = (xml: string): { status: number | null; out: string } => xmllint(xml, ['--noout', '--schema', SCHEMA]);
/** XPath over local names, so the test needs no namespace plumbing. */
const xpath = (xml: string, expr: string): string => xmllint(xml, ['--xpath', expr]).stdout.replace(/\n$/, '');
const ln = (path: string): string =>
  path
    .split('/')
    .map((n) => (n === '' ? '' : `*[local-name()='${n}']`))
    .join('/');

const DEBTOR = { name: PROVIDER.name, account: PROVIDER_ACCOUNT };
const ACME: EftPayment = {
  settlementNumber: STATEMENT.settlementNumber,
  paymentReference: STATEMENT.paymentReference,
  amountCents: AMOUNTS.netAmount,
  creditor: { name: TENANT.name, account: TENANT_ACCOUNT },
};
const ONE: EftFile = { paymentDate: '2025-12-03', sequence: 1, debtor: DEBTOR, payments: [ACME] };

const ESCAPES: EftPayment = {
  settlementNumber: 'SETTLE-2025-11-003',
  paymentReference: 'EFT-20251203-003',
  amountCents: 2_857_062,
  creditor: {
    name: `Smith & Sons <Life> "Mutual" Assurers' Society`,
    account: { holder: `O'Neil & <Partners>`, bank: 'Standard Bank & Co', branch_code: '051001', number: '012345678', type: 'transmission' },
  },
};
const BOND: EftPayment = {
  settlementNumber: 'SETTLE-2025-11-002',
  paymentReference: 'EFT-20251203-002',
  amountCents: 1,
  creditor: { name: 'Ubuntu Burial Society', account: { holder: 'Ubuntu Burial Society', bank: 'Capitec', branch_code: '470010', number: '1234567', type: 'bond' } },
};
// deliberately out of order: the file sorts by payment reference
const THREE: EftFile = { ...ONE, payments: [ESCAPES, ACME, BOND] };

describe('pain.001.001.03 payment file', () => {
  it('the schema is where the repo expects it', () => {
    expect(existsSync(SCHEMA)).toBe(true);
  });

  it('one settlement: matches the golden file and validates against the XSD', () => {
    const xml = eftXml(ONE);
    expectGolden('payments-20251203-001.xml', xml);
    const r = validate(xml);
    expect(r.out).toContain('validates');
    expect(r.status).toBe(0);
  });

  it('three settlements with names needing escapes: validates, totals correct, text intact', () => {
    const xml = eftXml(THREE);
    const r = validate(xml);
    expect(r.out).toContain('validates');
    expect(r.status).toBe(0);
    expect(xpath(xml, `string(/${ln('Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs')})`)).toBe('3');
    expect(xpath(xml, `string(/${ln('Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum')})`)).toBe('29684.58'); // 1113.95 + 0.01 + 28570.62
    expect(xpath(xml, `string(/${ln('Document/CstmrCdtTrfInitn/PmtInf/CtrlSum')})`)).toBe('29684.58');
    const tx = (i: number, path: string): string => xpath(xml, `string(/${ln('Document/CstmrCdtTrfInitn/PmtInf')}/${ln('CdtTrfTxInf')}[${i}]/${ln(path)})`);
    expect([1, 2, 3].map((i) => tx(i, 'PmtId/EndToEndId'))).toEqual(['EFT-20251203-001', 'EFT-20251203-002', 'EFT-20251203-003']);
    expect([1, 2, 3].map((i) => tx(i, 'RmtInf/Ustrd'))).toEqual(['SETTLE-2025-11-001', 'SETTLE-2025-11-002', 'SETTLE-2025-11-003']);
    expect([1, 2, 3].map((i) => tx(i, 'Amt/InstdAmt'))).toEqual(['1113.95', '0.01', '28570.62']);
    expect(tx(3, 'Cdtr/Nm')).toBe(`Smith & Sons <Life> "Mutual" Assurers' Society`);
    expect(tx(3, 'CdtrAcct/Nm')).toBe(`O'Neil & <Partners>`);
    expect(tx(3, 'CdtrAgt/FinInstnId/Nm')).toBe('Standard Bank & Co');
    expect(tx(3, 'CdtrAgt/FinInstnId/ClrSysMmbId/ClrSysId/Cd')).toBe('ZANCC');
    expect(tx(3, 'CdtrAgt/FinInstnId/ClrSysMmbId/MmbId')).toBe('051001');
    expect(tx(3, 'CdtrAcct/Id/Othr/Id')).toBe('012345678');
    expect([1, 2, 3].map((i) => tx(i, 'CdtrAcct/Tp/Prtry'))).toEqual(['CURRENT', 'BOND', 'TRANSMISSION']);
    expect(xml).toContain('<Nm>Smith &amp; Sons &lt;Life&gt; &quot;Mutual&quot; Assurers&apos; Society</Nm>');
  });

  it('the validator bites: a broken file is rejected', () => {
    const broken = eftXml(ONE).replace(/<MsgId>.*<\/MsgId>\n/, '');
    const r = validate(broken);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/fails to validate/);
    expect(validate(eftXml(ONE).replace('<Cd>ZANCC</Cd>', '<Cd>ZANCCX</Cd>')).status).not.toBe(0);
  });

  it('is byte-identical on a re-run and whatever the input order', () => {
    expect(eftXml(THREE)).toBe(eftXml({ ...THREE, payments: [BOND, ESCAPES, ACME] }));
  });

  it('MsgId, PmtInfId and CreDtTm come from the payment date and sequence', () => {
    const xml = eftXml({ ...ONE, sequence: 12 });
    expect(xml).toContain('<MsgId>KASI-20251203-012</MsgId>');
    expect(xml).toContain('<PmtInfId>KASI-20251203-012-1</PmtInfId>');
    expect(xml).toContain('<CreDtTm>2025-12-03T00:00:00+02:00</CreDtTm>');
    expect(xml).toContain('<ReqdExctnDt>2025-12-03</ReqdExctnDt>');
    expect(eftFileName('2025-12-03', 12)).toBe('payments-20251203-012.xml');
  });

  it('fits over-long names into the schema lengths', () => {
    const long: EftPayment = { ...ACME, creditor: { name: 'N'.repeat(200), account: { ...TENANT_ACCOUNT, holder: 'H'.repeat(70), bank: 'B'.repeat(150) } } };
    const xml = eftXml({ ...ONE, payments: [long] });
    expect(validate(xml).status).toBe(0);
    expect(xml).toContain(`<Cdtr><Nm>${'N'.repeat(140)}</Nm></Cdtr>`);
  });
});

describe('what may be paid', () => {
  it('a good settlement has no problems', () => {
    expect(paymentProblems(ACME)).toEqual([]);
  });

  it.each<[string, Partial<EftPayment>, string[]]>([
    ['zero net', { amountCents: 0 }, ['net amount 0.00 is not a positive amount']],
    ['negative net', { amountCents: -100 }, ['net amount -1.00 is not a positive amount']],
    ['missing account number', { creditor: { name: 'X', account: { ...TENANT_ACCOUNT, number: '' } } }, ['bank account: number "" must be digits only (no spaces or dashes)']],
    ['bad type', { creditor: { name: 'X', account: { ...TENANT_ACCOUNT, type: 'cheque' } } }, ['bank account: type "cheque" must be one of current, savings, transmission, bond']],
    ['empty creditor name', { creditor: { name: ' ', account: TENANT_ACCOUNT } }, ['creditor name is empty']],
  ])('%s', (_name, change, problems) => {
    expect(paymentProblems({ ...ACME, ...change })).toEqual(problems);
  });

  it('the renderer refuses what paymentProblems rejects, never writing a wrong payment', () => {
    expect(() => eftXml({ ...ONE, payments: [{ ...ACME, amountCents: 0 }] })).toThrow(/SETTLE-2025-11-001 cannot be paid/);
    expect(() => eftXml({ ...ONE, payments: [ACME, { ...BOND, paymentReference: ACME.paymentReference }] })).toThrow(/appears twice/);
    expect(() => eftXml({ ...ONE, payments: [] })).toThrow(/at least one payment/);
    expect(() => eftXml({ ...ONE, debtor: { ...DEBTOR, account: { ...PROVIDER_ACCOUNT, branch_code: 'x' } } })).toThrow(/provider's bank account is invalid/);
    expect(() => eftXml({ ...ONE, payments: [{ ...ACME, paymentReference: 'E'.repeat(36) }] })).toThrow(/1 to 35 characters/);
    expect(() => eftXml({ ...ONE, sequence: 1000 })).toThrow(/sequence/);
  });
});

describe('xmlText', () => {
  it.each([
    ['A & B', 'A &amp; B'],
    ['<x>', '&lt;x&gt;'],
    [`"q" 'a'`, '&quot;q&quot; &apos;a&apos;'],
    ['Zoë Ndlovu', 'Zoë Ndlovu'],
  ])('%s → %s', (input, out) => expect(xmlText(input)).toBe(out));

  it('refuses characters XML 1.0 cannot carry', () => {
    expect(() => xmlText('a\u0001b')).toThrow(/cannot be written to XML/);
    expect(() => xmlText('a\ud800b')).toThrow(/cannot be written to XML/);
    expect(xmlText('😀')).toBe('😀');
  });
});
