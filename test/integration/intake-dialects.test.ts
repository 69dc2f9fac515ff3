import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 3.2 encodings and dialects on SQLite and PostgreSQL: Excel's Windows-1252 `;` files with
 * decimal commas, UTF-8 with a BOM, CRLF, and files larger than one read chunk.
 */
const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/intake');
const MiB = 1 << 20;

describe.each(['sqlite', 'pg'] as const)('intake dialects on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const inbox = () => join(env.root, 'inbox/acme');
  const drop = (name: string, content: string | Buffer) => dropInInbox(env, name, content);
  const take = (name: string) => importFile(env.ports, { tenantId: 'acme', path: join(inbox(), name), mode: 'move' });
  const rows = () =>
    knexOf(dbOf(env.ports.store))('policies').orderBy('policy_number').select('policy_number', 'customer_id', 'external_customer_ref', 'product_code', 'collection_amount', 'status');

  it('an Excel Windows-1252 ;-file with decimal commas: exact cents and accented text', async () => {
    mkdirSync(inbox(), { recursive: true });
    copyFileSync(join(FIX, 'policies-excel-1252.csv'), join(inbox(), 'policies-excel-1252.csv'));
    const out = await take('policies-excel-1252.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 4, failed: 0, errors: [] });
    expect(await rows()).toEqual([
      { policy_number: 'POL-É01', customer_id: 'Thérèse Nkosi', external_customer_ref: 'Zoë Müller', product_code: 'FUNERAL', collection_amount: 123_450, status: 'active' },
      { policy_number: 'POL-É02', customer_id: 'Ané Botha', external_customer_ref: 'Ref €5', product_code: 'FUNERAL', collection_amount: 9_999, status: 'active' },
      { policy_number: 'POL-É03', customer_id: 'Sipho Dlamini', external_customer_ref: 'Café “Ons Plek”', product_code: 'LIFE-PLUS', collection_amount: 150_000, status: 'active' },
      { policy_number: 'POL-É04', customer_id: 'Renée Pretorius', external_customer_ref: 'Françoise', product_code: 'LIFE-PLUS', collection_amount: 15_000, status: 'active' },
    ]);
    const file = await knexOf(dbOf(env.ports.store))('intake_files').first('encoding', 'delimiter');
    expect(file).toEqual({ encoding: 'windows-1252', delimiter: ';' });
  });

  it('a ;-file refuses a dot amount as ambiguous, on its line', async () => {
    drop('policies-semi.csv', 'customer_id;external_customer_ref;policy_number;product_code;collection_amount\nC1;E1;P1;FUN;150,00\nC2;E2;P2;FUN;150.00\nC3;E3;P3;FUN;R 2 000\n');
    const out = await take('policies-semi.csv');
    expect(out.errors.map((e) => [e.line, e.column, e.code])).toEqual([[3, 'collection_amount', 'AMOUNT_AMBIGUOUS']]);
    expect((await rows()).map((r) => [r.policy_number, r.collection_amount])).toEqual([
      ['P1', 15_000],
      ['P3', 200_000],
    ]);
  });

  it('UTF-8 with a BOM and CRLF: the header is recognised, text kept exact', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const body = (status: string) =>
      `customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\r\n"Nkosi, Thandi",Zoë 😀,P1,FUN,"1 234.50",${status}\r\n`;
    drop('policies-bom.csv', Buffer.concat([bom, Buffer.from(body('active'), 'utf8')]));
    expect(await take('policies-bom.csv')).toMatchObject({ status: 'applied', imported: 1, errors: [] });
    drop('policies-bom2.csv', Buffer.concat([bom, Buffer.from(body('CANCELLED'), 'utf8')]));
    expect(await take('policies-bom2.csv')).toMatchObject({ status: 'applied', imported: 1, errors: [] });
    expect(await rows()).toEqual([
      { policy_number: 'P1', customer_id: 'Nkosi, Thandi', external_customer_ref: 'Zoë 😀', product_code: 'FUN', collection_amount: 123_450, status: 'cancelled' },
    ]);
  });

  it('a UTF-8 file over 2 MiB: characters split across read chunks stay exact', async () => {
    const header = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
    let body = header;
    let i = 0;
    // 3-byte and 2-byte characters in every row, so some straddle each 1 MiB boundary
    while (body.length < 2.2 * MiB) {
      i++;
      body += `Thérèse€${i},Zoë-€${i},P${String(i).padStart(6, '0')},FUN,${(i % 500) + 1}.25\n`;
    }
    drop('policies-big-utf8.csv', body);
    const out = await take('policies-big-utf8.csv');
    expect(out).toMatchObject({ status: 'applied', imported: i, failed: 0, errors: [] });
    const bad = (await knexOf(dbOf(env.ports.store))('policies').select('policy_number', 'customer_id', 'external_customer_ref')).filter(
      (r: { policy_number: string; customer_id: string; external_customer_ref: string }) => {
        const n = Number(r.policy_number.slice(1));
        return r.customer_id !== `Thérèse€${n}` || r.external_customer_ref !== `Zoë-€${n}`;
      },
    );
    expect(bad).toEqual([]);
  });

  it('a CRLF file whose CR and LF fall in different read chunks keeps its line numbers', async () => {
    const header = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\r\n';
    const row = (n: number) => `C${String(n).padStart(7, '0')},E,P${String(n).padStart(7, '0')},FUN,1.00\r\n`;
    // Pad the first customer id so that a line's CR is the last byte of the first 1 MiB chunk.
    const per = row(1).length;
    const rowsBefore = Math.floor((MiB - header.length) / per);
    const pad = MiB + 1 - header.length - rowsBefore * per; // row `rowsBefore` then ends at MiB+1: CR at MiB-1
    let body = header + row(1).replace(',E,', `,E${'x'.repeat(pad)},`);
    for (let n = 2; n <= rowsBefore + 10; n++) body += row(n);
    expect(Buffer.from(body).subarray(MiB - 1, MiB + 1).toString('latin1')).toBe('\r\n');
    const last = rowsBefore + 11;
    body += `C${last},E,P${last},FUN,oops\r\n`;
    drop('policies-crlf.csv', body);
    const out = await take('policies-crlf.csv');
    expect(out.errors.map((e) => [e.line, e.code])).toEqual([[last + 1, 'AMOUNT_NOT_A_NUMBER']]);
    expect(out.imported).toBe(last - 1);
  });
});
