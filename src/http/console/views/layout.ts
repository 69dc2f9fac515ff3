import type { ConsoleUser } from '../../../usecases/console/auth.js';
import { html, type Html, type Part } from '../html.js';

/** The page frame: skip link, header with the signed-in user and a logout form, navigation, main. */
export interface PageContext {
  user: ConsoleUser;
  csrf: string;
  /** which navigation entry is the current page */
  section: 'overview' | 'files' | 'collections' | 'settlements' | 'operations';
}

const NAV: [PageContext['section'], string][] = [
  ['overview', 'Overview'],
  ['files', 'Files'],
  ['collections', 'Collections'],
  ['settlements', 'Settlements'],
  ['operations', 'Operations'],
];

export function page(title: string, body: Part, ctx: PageContext | null): Html {
  const nav = ctx
    ? html`<nav aria-label="Console"><ul>${NAV.map(
        ([s, label]) => html`<li><a href="/console/${s}"${s === ctx.section ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}</ul></nav>
<form method="post" action="/console/logout" class="logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span>${ctx.user.name} (${ctx.user.role === 'operator' ? 'operator: every tenant' : `tenant ${ctx.user.tenant ?? ''}`})</span> <button type="submit">Log out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — kasi console</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><p class="brand"><a href="/console/overview">kasi</a> <span>collections console</span></p>${nav}</header>
<main id="main" tabindex="-1"><h1>${title}</h1>${body}</main>
<footer><p>All amounts in South African rand (ZAR); dates Africa/Johannesburg.</p></footer>
</body></html>`;
}

/** A `<select>` of choices with a label, current value selected. */
export function select(name: string, label: string, choices: readonly (readonly [string, string])[], current: string | undefined): Html {
  return html`<label for="f-${name}">${label}</label> <select id="f-${name}" name="${name}">${choices.map(
    ([v, l]) => html`<option value="${v}"${v === (current ?? '') ? html` selected` : ''}>${l}</option>`,
  )}</select>`;
}

/** A "next page" link for keyset pagination (absent on the last page). */
export function nextLink(href: string | null, label = 'Next page'): Html {
  return href ? html`<p class="pager"><a href="${href}" rel="next">${label} →</a></p>` : html``;
}

export function notice(kind: 'error' | 'ok' | 'info', text: Part): Html {
  const prefix = kind === 'error' ? 'Error: ' : kind === 'ok' ? 'Done: ' : 'Note: ';
  return html`<p class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}"><strong>${prefix}</strong>${text}</p>`;
}
