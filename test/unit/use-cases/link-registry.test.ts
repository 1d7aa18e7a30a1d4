import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import { issueLink, parseSigningKeys } from '../../../functions/core/links.ts';
import { editorKind } from '../../../functions/use-cases/links/editor.ts';
import { editorLinkDeclaration, movedEditorKind } from '../../../functions/use-cases/links/editor-link.ts';
import { decideEditorLink, viewEditorLink } from '../../../functions/use-cases/links/editor-route.ts';
import { decideLink, type LinkDeps, viewLink } from '../../../functions/use-cases/links/index.ts';
import { LINK_KINDS, linkKindOf } from '../../../functions/use-cases/links/registry.ts';

const root = join(import.meta.dirname, '../../..');
const functionsDir = join(root, 'functions');

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: relative(root, path), text: readFileSync(path, 'utf8') };
    });
}

/** The argument text of each `issueLink(` call: up to the parenthesis that closes it. */
function issueLinkCalls(text: string): string[] {
  const calls: string[] = [];
  for (let at = text.indexOf('issueLink('); at >= 0; at = text.indexOf('issueLink(', at + 1)) {
    if (/function\s+$/.test(text.slice(Math.max(0, at - 20), at))) continue; // its definition
    let depth = 0;
    let end = at + 'issueLink'.length;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    calls.push(text.slice(at, end + 1));
  }
  return calls;
}

/** Every `action` a link is signed with anywhere in functions/: literals, or constants resolved to their value. */
function signedActions(): Map<string, string[]> {
  const all = sources(functionsDir);
  const constants = new Map<string, string>();
  for (const { text } of all)
    for (const m of text.matchAll(/export const ([A-Z_]+) = '([^']+)';/g))
      constants.set(m[1] ?? '', m[2] ?? '');
  const signed = new Map<string, string[]>();
  for (const { path, text } of all) {
    for (const call of issueLinkCalls(text)) {
      const expr = /\baction: ([^,\n}]+)/.exec(call)?.[1]?.trim();
      expect(expr, `an issueLink call in ${path} without an action`).toBeDefined();
      const literal = /^'([^']+)'$/.exec(expr ?? '')?.[1];
      const value = literal ?? constants.get(expr ?? '');
      expect(value, `the action ${expr} signed in ${path} resolves to a string`).toBeDefined();
      signed.set(value ?? '', [...(signed.get(value ?? '') ?? []), path]);
    }
  }
  return signed;
}

describe('the link-kind registry', () => {
  it('has one entry per link action signed anywhere, and none that nothing signs', () => {
    const signed = signedActions();
    const registered = LINK_KINDS.map((kind) => kind.action);

    expect(new Set(registered).size).toBe(registered.length);
    expect([...signed.keys()].sort()).toEqual([...registered].sort());
    // The seven kinds of today; an eighth needs a module and a line in registry.ts.
    expect(registered.sort()).toEqual([
      'acknowledge',
      'approve-postmortem',
      'complete-action',
      'edit-postmortem',
      'respond',
      'schedule-feed',
      'view',
    ]);
    // The editor's entry here only redirects to its own route, from the signature alone (editor-link.ts): the
    // editor's kind, served there, is bound to its incident.
    expect(LINK_KINDS.filter((kind) => !kind.incidentBound).map((kind) => kind.action)).toEqual([
      'edit-postmortem',
      'schedule-feed',
    ]);
    expect(editorKind.incidentBound).toBe(true);
  });

  it('declares the editor once: the registry’s redirect and the editor’s own kind share one declaration', () => {
    // The editor is served by a function of its own (`/links/{token}/edit`): the registry holds its declaration,
    // whose GET and POST redirect there, and the editor's route serves the full kind. Both are the same link.
    expect(linkKindOf('edit-postmortem')).toBe(movedEditorKind);
    expect(LINK_KINDS).not.toContain(editorKind);
    for (const kind of [movedEditorKind, editorKind]) expect(kind).toMatchObject(editorLinkDeclaration);
    expect(movedEditorKind.onExpired).toBeDefined();
    expect(editorKind.onExpired).toBeDefined();
  });

  it('declares for each kind its family, binding and lifetime', () => {
    for (const kind of LINK_KINDS) {
      expect(['decision', 'working-page', 'view']).toContain(kind.family);
      expect(kind.binding.length, kind.action).toBeGreaterThan(10);
      expect(kind.lifetime.length, kind.action).toBeGreaterThan(10);
      expect(typeof kind.incidentBound).toBe('boolean');
    }
    expect(linkKindOf('edit-postmortem')?.onExpired).toBeDefined();
    expect(LINK_KINDS.filter((kind) => kind.onExpired).map((kind) => kind.action)).toEqual([
      'edit-postmortem',
    ]);
  });

  it('is the only dispatch: nothing outside links/dispatch.ts verifies a token or branches on its action', () => {
    // dispatch.ts is the one dispatch, over the kinds a route serves: the registry's (index.ts, `/links/{token}`)
    // or the editor's alone (editor-route.ts, `/links/{token}/edit`). But the feed's own route
    // (`<link>/calendar.ics`), which serves that one kind in a function without the registry: its check lives
    // in the kind's module.
    const offenders = sources(functionsDir).filter(
      ({ path, text }) =>
        path !== join('functions', 'use-cases', 'links', 'dispatch.ts') &&
        path !== join('functions', 'use-cases', 'links', 'schedule-feed.ts') &&
        path !== join('functions', 'core', 'links.ts') &&
        (/\bverifyLink\(/.test(text) || /claims\.action\s*[!=]==/.test(text)),
    );
    expect(offenders.map((o) => o.path)).toEqual([]);
    for (const file of ['dispatch.ts', 'index.ts', 'editor-route.ts']) {
      const dispatcher = readFileSync(join(functionsDir, 'use-cases/links', file), 'utf8');
      for (const kind of LINK_KINDS) expect(dispatcher, file).not.toContain(`'${kind.action}'`);
    }
  });

  it('keeps the editor out of the link pages’ function, and the other kinds out of the editor’s', () => {
    const reached = (entry: string) => {
      const seen = new Set<string>();
      const visit = (path: string) => {
        if (seen.has(path)) return;
        seen.add(path);
        const text = readFileSync(join(root, path), 'utf8');
        // Static imports only: a dynamic import() is a chunk loaded on first use, and `import type` is erased.
        for (const m of text.matchAll(/^(?:import|export) (?!type )[^;]*? from '(\.[^']+)';/gms))
          visit(relative(root, join(root, path, '..', m[1] ?? '')));
      };
      visit(join('functions', 'handlers', entry));
      return [...seen];
    };
    const linkPages = reached('handle-link.ts');
    for (const editorOnly of [
      'functions/use-cases/links/editor.ts',
      'functions/use-cases/links/editor-page.ts',
      'functions/use-cases/links/editor-route.ts',
      'functions/core/postmortem-page.ts',
      'functions/adapters/document-renderer.ts',
    ])
      expect(linkPages, editorOnly).not.toContain(editorOnly);
    expect(linkPages.filter((path) => path.includes('postmortem-editor'))).toEqual([]);
    expect(linkPages).toContain('functions/use-cases/links/registry.ts');

    const editor = reached('postmortem-editor.ts');
    expect(editor).toContain('functions/use-cases/links/editor.ts');
    expect(editor).not.toContain('functions/use-cases/links/registry.ts');
    for (const kind of ['acknowledge', 'approval', 'responder', 'view', 'action-complete', 'schedule-feed'])
      expect(editor).not.toContain(`functions/use-cases/links/${kind}.ts`);
  });
});

describe('viewLink and decideLink dispatch through the registry', () => {
  const keys = parseSigningKeys(JSON.stringify({ activeKeyId: 'k1', k1: 'k'.repeat(64) }));
  const now = new Date('2026-11-20T10:00:00.000Z');
  const incident = { id: '01JINC', key: 'HOT-3', status: 'paged' } as unknown as Incident;
  const getIncident = vi.fn(async (id: string) => (id === incident.id ? incident : undefined));
  const deps = { keys, now: () => now, incidents: { get: getIncident } } as unknown as LinkDeps;
  const tokenFor = (action: string, ttlHours = 24, at = now) =>
    issueLink(keys, {
      id: '01JLINK',
      incidentId: incident.id,
      key: incident.key,
      action,
      recipient: 'someone@example.com',
      ttlHours,
      now: at,
    });

  afterEach(() => {
    vi.restoreAllMocks();
    getIncident.mockClear();
  });

  it.each(LINK_KINDS.map((kind) => [kind.action, kind] as const))(
    '%s: GET calls its get, POST its post, each with the link bound to its incident (if it has one)',
    async (action, kind) => {
      const get = vi.spyOn(kind, 'get').mockResolvedValue({ kind: 'view-only' });
      const post = vi.spyOn(kind, 'post').mockResolvedValue({ kind: 'unavailable' });
      const token = tokenFor(action);
      const form = new URLSearchParams({ a: 'b' });

      expect(await viewLink(deps, token, { saved: '2' })).toEqual({ kind: 'view-only' });
      expect(await decideLink(deps, token, form, { sourceIp: '192.0.2.1' })).toEqual({ kind: 'unavailable' });

      const bound = kind.incidentBound ? { incident } : {};
      expect(get).toHaveBeenCalledTimes(1);
      expect(get).toHaveBeenCalledWith(
        deps,
        expect.objectContaining({ token, ...bound, claims: expect.objectContaining({ action }) }),
        { saved: '2' },
      );
      expect(post).toHaveBeenCalledTimes(1);
      expect(post).toHaveBeenCalledWith(deps, expect.objectContaining({ token, ...bound }), form, {
        sourceIp: '192.0.2.1',
      });
      // An unbound kind reads no incident, and is given none.
      if (!kind.incidentBound) {
        expect(getIncident).not.toHaveBeenCalled();
        expect(get.mock.calls[0]?.[1]).not.toHaveProperty('incident');
      }
    },
  );

  it('answers an unknown action, a tampered token and a key that is not the incident’s without any kind', async () => {
    const spies = LINK_KINDS.flatMap((kind) => [vi.spyOn(kind, 'get'), vi.spyOn(kind, 'post')]);
    expect(await viewLink(deps, tokenFor('delete-everything'))).toEqual({ kind: 'invalid' });
    expect(await decideLink(deps, `${tokenFor('acknowledge')}x`)).toEqual({ kind: 'invalid' });
    const otherKey = issueLink(keys, {
      id: '01JLINK',
      incidentId: incident.id,
      key: 'HOT-4',
      action: 'acknowledge',
      recipient: 'someone@example.com',
      ttlHours: 1,
      now,
    });
    expect(await viewLink(deps, otherKey)).toEqual({ kind: 'invalid' });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('sends an expired link to its kind’s onExpired, and answers "expired" for a kind without one', async () => {
    const editor = linkKindOf('edit-postmortem');
    const onExpired = editor?.onExpired;
    if (!onExpired) throw new Error('the editor declares onExpired');
    const expiredGet = vi.spyOn(onExpired, 'get').mockResolvedValue({ kind: 'not-found' });
    const expiredPost = vi.spyOn(onExpired, 'post').mockResolvedValue(undefined);
    const longAgo = new Date(now.getTime() - 48 * 3_600_000);

    expect(await viewLink(deps, tokenFor('edit-postmortem', 1, longAgo))).toEqual({ kind: 'not-found' });
    // A POST that is not the expired link's one form answers what GET would.
    expect(await decideLink(deps, tokenFor('edit-postmortem', 1, longAgo))).toEqual({ kind: 'not-found' });
    expect(expiredPost).toHaveBeenCalledTimes(1);
    expect(expiredGet).toHaveBeenCalledTimes(2);
    expect(await viewLink(deps, tokenFor('acknowledge', 1, longAgo))).toEqual({ kind: 'expired' });
    expect(getIncident).not.toHaveBeenCalled();
  });

  it('redirects an editor link, fresh or expired, GET (with its query) and POST, to its own route, reading nothing', async () => {
    const fresh = tokenFor('edit-postmortem');
    const expired = tokenFor('edit-postmortem', 1, new Date(now.getTime() - 48 * 3_600_000));
    const form = new URLSearchParams({ version: '3', summary: 'typed' });

    expect(await viewLink(deps, fresh, { saved: '2', other: undefined })).toEqual({
      kind: 'moved',
      location: `./${fresh}/edit?saved=2`,
    });
    expect(await viewLink(deps, fresh)).toEqual({ kind: 'moved', location: `./${fresh}/edit` });
    // The 307 keeps the method and the body: the form is posted again there, not read here.
    expect(await decideLink(deps, fresh, form)).toEqual({ kind: 'moved', location: `./${fresh}/edit` });
    // Expired: the editor's own route offers the fresh link.
    expect(await viewLink(deps, expired)).toEqual({ kind: 'moved', location: `./${expired}/edit` });
    expect(await decideLink(deps, expired, form)).toEqual({ kind: 'moved', location: `./${expired}/edit` });
    expect(getIncident).not.toHaveBeenCalled();
    // Tampered, it is not redirected.
    expect(await viewLink(deps, `${fresh}x`)).toEqual({ kind: 'invalid' });
  });

  it('serves the editor’s kind alone at its own route, bound to its incident; any other kind is invalid there', async () => {
    const get = vi.spyOn(editorKind, 'get').mockResolvedValue({ kind: 'view-only' });
    const post = vi.spyOn(editorKind, 'post').mockResolvedValue({ kind: 'unavailable' });
    const token = tokenFor('edit-postmortem');
    const form = new URLSearchParams({ a: 'b' });

    expect(await viewEditorLink(deps, token, { saved: '2' })).toEqual({ kind: 'view-only' });
    expect(await decideEditorLink(deps, token, form, { sourceIp: '192.0.2.1' })).toEqual({
      kind: 'unavailable',
    });
    expect(get).toHaveBeenCalledWith(deps, expect.objectContaining({ token, incident }), { saved: '2' });
    expect(post).toHaveBeenCalledWith(deps, expect.objectContaining({ token, incident }), form, {
      sourceIp: '192.0.2.1',
    });

    const others = LINK_KINDS.filter((kind) => kind.action !== 'edit-postmortem');
    const spies = others.flatMap((kind) => [vi.spyOn(kind, 'get'), vi.spyOn(kind, 'post')]);
    for (const kind of others) {
      expect(await viewEditorLink(deps, tokenFor(kind.action)), kind.action).toEqual({ kind: 'invalid' });
      expect(await decideEditorLink(deps, tokenFor(kind.action)), kind.action).toEqual({ kind: 'invalid' });
    }
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();

    // Expired, the editor's own onExpired answers (the offer of a fresh link), not a redirect.
    const onExpired = editorKind.onExpired;
    if (!onExpired) throw new Error('the editor declares onExpired');
    const expiredGet = vi.spyOn(onExpired, 'get').mockResolvedValue({ kind: 'expired' });
    const longAgo = new Date(now.getTime() - 48 * 3_600_000);
    expect(await viewEditorLink(deps, tokenFor('edit-postmortem', 1, longAgo))).toEqual({ kind: 'expired' });
    expect(expiredGet).toHaveBeenCalledTimes(1);
  });
});
