import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as sesModule from 'aws-ses-v2-local';
import type { Email } from 'aws-ses-v2-local/dist/store.js';

/**
 * aws-ses-v2-local: accepts SES v1 and v2 SendEmail (and SendRawEmail), shows a mail viewer at `/` and returns
 * sent mail at `GET /store` for tests. Its store lives in the module, so every target in one process shares it.
 *
 * The sent mail survives a restart: each target keeps the mail its own endpoint accepted in `<dataDir>/mail.json`
 * (written shortly after each new mail, after a clear, and at stop) and puts it back into the store when it
 * starts, before any function runs. Several targets in one process (tests, the storm benchmark) still share one
 * store, so every viewer shows every target's mail as before; but each target saves only the mail that reached
 * its own endpoint and restores only its own folder's, and a stopped target takes its mail out of the store, so
 * that a target restarted in the same process sees its mail once, as after a real restart.
 */

type Start = (config?: { host?: string; port?: number }) => Promise<Server>;
type Log = (line: string) => void;

const mod = sesModule as unknown as { default?: Start | { default?: Start } };
const start = (typeof mod.default === 'function' ? mod.default : mod.default?.default) as Start;

/** The parts of the package's store module (dist/store.js) this file uses. */
interface SesStore {
  saveEmail: (email: Email) => void;
  clearStore: () => void;
  getStoreReadonly: () => { emails: Email[] };
}

/*
 * The module's CommonJS exports object, the very one its routes reach: they call `(0, store_1.saveEmail)(...)`,
 * reading the property at each call, so a wrapper installed here sees every mail. An ESM namespace import would
 * not do: its bindings are read-only, and tsx does not even give it a `default` to reach the exports object.
 */
const store = createRequire(import.meta.url)('aws-ses-v2-local/dist/store.js') as SesStore;

/**
 * mail.json is rewritten whole each time and holds attachments base64-encoded (the SLO report's CSVs), so an
 * unbounded archive would make every write slower and the file huge: it keeps the newest 5,000 mails. The store in
 * memory is the package's and is not capped while the target runs.
 */
export const MAX_SAVED_MAILS = 5_000;
/** New mail comes in bursts (a storm pages many incidents at once): one write covers a burst. */
const SAVE_DELAY_MS = 500;

/** Which target's endpoint is handling the request that is saving a mail. */
const receiving = new AsyncLocalStorage<MailArchive>();
const archives = new Set<MailArchive>();
let storeWrapped = false;

function wrapStore(): void {
  if (storeWrapped) return;
  storeWrapped = true;
  const saveEmail = store.saveEmail;
  store.saveEmail = (email) => {
    saveEmail(email);
    receiving.getStore()?.adopt(email);
  };
  const clearStore = store.clearStore;
  store.clearStore = () => {
    clearStore();
    // The viewer's Clear button: what was cleared must not come back at the next start.
    for (const archive of archives) archive.scheduleSave();
  };
}

/** The mail one target's endpoint accepted, and its file in the data folder. */
class MailArchive {
  private owned = new Set<Email>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWriteMs = 0;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly log: Log,
  ) {}

  /** Puts the folder's saved mail back into the store (not through saveEmail: it would relay it to SMTP again). */
  restore(): number {
    const saved = this.read();
    const emails = store.getStoreReadonly().emails;
    for (const email of saved) {
      emails.push(email);
      this.owned.add(email);
    }
    return saved.length;
  }

  adopt(email: Email): void {
    if (this.closed) return;
    this.owned.add(email);
    this.scheduleSave();
  }

  scheduleSave(): void {
    if (this.closed || this.timer) return;
    // A large archive takes a while to write: wait at least a few writes' time, so saving never hogs the target.
    const delay = Math.max(SAVE_DELAY_MS, this.lastWriteMs * 4);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, delay).unref();
  }

  /** Writes the final archive, then takes this target's mail out of the store the process shares. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
    this.release();
  }

  /** Takes this target's mail out of the store, without writing (a start that failed). */
  release(): void {
    this.closed = true;
    clearTimeout(this.timer);
    archives.delete(this);
    const emails = store.getStoreReadonly().emails;
    let kept = 0;
    for (const email of emails) if (!this.owned.has(email)) emails[kept++] = email;
    emails.length = kept;
    this.owned.clear();
  }

  /** One write at a time, each of the store as it is when the write begins. */
  private save(): Promise<void> {
    this.writing = this.writing.then(() =>
      this.write().catch((error: Error) =>
        this.log(`[ses] could not save the sent mail to ${this.file}: ${error.message}`),
      ),
    );
    return this.writing;
  }

  private async write(): Promise<void> {
    const started = Date.now();
    // Mail cleared from the store since is no longer this target's to keep.
    const mine = store.getStoreReadonly().emails.filter((email) => this.owned.has(email));
    this.owned = new Set(mine);
    const body = JSON.stringify({ emails: mine.slice(-MAX_SAVED_MAILS) });
    // Written aside and renamed: a crash mid-write leaves the previous archive, never half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, this.file);
    this.lastWriteMs = Date.now() - started;
  }

  private read(): Email[] {
    if (!existsSync(this.file)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      // Sent mail is a convenience, not data the target needs: keep the file for a look, and start.
      const aside = `${this.file}.broken`;
      renameSync(this.file, aside);
      this.log(`[ses] ${this.file} is not valid JSON (${(error as Error).message}); moved to ${aside}`);
      return [];
    }
    const emails = (parsed as { emails?: unknown } | null)?.emails;
    if (!Array.isArray(emails)) return [];
    const valid = emails.filter(isEmail);
    if (valid.length < emails.length)
      this.log(`[ses] ${this.file}: skipped ${emails.length - valid.length} entries that are not mail`);
    return valid.slice(-MAX_SAVED_MAILS);
  }
}

/** What the viewer and `GET /store` rely on, so a hand-edited file cannot break them. */
function isEmail(value: unknown): value is Email {
  const email = value as Partial<Email> | null;
  return (
    typeof email === 'object' &&
    email !== null &&
    typeof email.messageId === 'string' &&
    typeof email.at === 'number' &&
    typeof email.destination === 'object' &&
    email.destination !== null &&
    Array.isArray(email.destination.to) &&
    typeof email.body === 'object' &&
    email.body !== null
  );
}

export interface LocalSes {
  server: Server;
  /** The file this target's sent mail is kept in. */
  mailFile: string;
  /** Saves the sent mail and takes it out of the process's store; call it once the server stopped taking mail. */
  close(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local. Given a data folder, the mail its endpoint accepts is kept there across restarts (see
 * above); without one (tests of a mailer alone) it is a plain server, as the package makes it.
 */
export async function startSes(host: string, port: number): Promise<Server>;
export async function startSes(
  host: string,
  port: number,
  options: { dataDir: string; log?: Log },
): Promise<LocalSes>;
export async function startSes(
  host: string,
  port: number,
  options?: { dataDir: string; log?: Log },
): Promise<Server | LocalSes> {
  if (!options) return start({ host, port });
  wrapStore();
  const archive = new MailArchive(join(options.dataDir, 'mail.json'), options.log ?? (() => undefined));
  const restored = archive.restore();
  if (restored > 0) options.log?.(`[ses] ${restored} sent mail(s) restored from ${archive.file}`);
  let server: Server;
  try {
    server = await start({ host, port });
  } catch (error) {
    archive.release();
    throw error;
  }
  archives.add(archive);
  // Every request this endpoint handles runs with its archive in context, so the wrapped saveEmail knows whose
  // mail it is (the package's body reader keeps the context across its stream events).
  const listeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('request');
  server.on('request', (...args: unknown[]) =>
    receiving.run(archive, () => {
      for (const listener of listeners) listener.apply(server, args);
    }),
  );
  return { server, mailFile: archive.file, close: () => archive.close() };
}
