import { html, type Html } from '../html.js';
import { notice, page } from './layout.js';

export function loginPage(opts: { csrf: string; user?: string; error?: string; info?: string; next?: string }): Html {
  return page(
    'Sign in',
    html`${opts.error ? notice('error', opts.error) : ''}${opts.info ? notice('info', opts.info) : ''}
<form method="post" action="/console/login" class="login">
<input type="hidden" name="_csrf" value="${opts.csrf}">
<input type="hidden" name="next" value="${opts.next ?? ''}">
<p><label for="user">User name</label><br><input id="user" name="user" autocomplete="username" required value="${opts.user ?? ''}" autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>`,
    null,
  );
}

export function offPage(): Html {
  return page('The console is off', html`<p>No console user is configured. Add one with <code>kasi console-user --name NAME --role operator</code> and put the line it prints under <code>console.users</code> in your config, then restart the daemon.</p>`, null);
}

export function notFoundPage(ctx: Parameters<typeof page>[2], what: string): Html {
  return page('Not found', html`<p>${what}</p><p><a href="/console/overview">Back to the overview</a></p>`, ctx);
}
