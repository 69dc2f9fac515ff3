import { z } from 'zod';

/**
 * The operator console (/console, issue 15). Users are listed in config with an scrypt hash of
 * their password (`kasi console-user` prints the line); no user configured → the console is off.
 * An operator sees every tenant; a tenant user sees only `tenant`.
 */
const SCRYPT = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=_-]+\$[A-Za-z0-9+/=_-]+$/;

export const consoleUser = z
  .strictObject({
    role: z.enum(['operator', 'tenant']),
    tenant: z.string().optional(),
    password_scrypt: z.string().regex(SCRYPT, 'an scrypt hash as printed by `kasi console-user` (scrypt$N$r$p$salt$hash)'),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'tenant' && !u.tenant) ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'required when role is tenant' });
    if (u.role === 'operator' && u.tenant) ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'an operator sees every tenant: leave tenant out' });
  });

export const consoleSchema = z
  .strictObject({
    users: z.record(z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'a user name is 1-64 of A-Z a-z 0-9 . _ @ -'), consoleUser).default({}),
    // a session ends this long after its last use
    session_hours: z.number().positive().default(8),
    // wrong passwords in a row that lock a user name out, and for how long
    max_failures: z.number().int().min(1).default(5),
    lockout_seconds: z.number().min(1).default(900),
    // Secure cookies: true behind TLS (a proxy terminating HTTPS); auto: when the request says https
    cookie_secure: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    // the overview's per-day figures are precomputed this often (seconds)
    summary_refresh_seconds: z.number().min(1).default(60),
    page_size: z.number().int().min(10).max(500).default(50),
  })
  .prefault({});

export type ConsoleConfig = z.infer<typeof consoleSchema>;
export type ConsoleUserConfig = z.infer<typeof consoleUser>;
