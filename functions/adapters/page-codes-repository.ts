import { keys } from '../core/keys.ts';
import type { PageCode, PageCodeStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** Acknowledgement codes, one item each, removed by the table's TTL once expired (and ignored before that). */
export class PageCodesRepository implements PageCodeStore {
  constructor(private readonly table: Table) {}

  create(code: PageCode): Promise<boolean> {
    return this.table.putOnce({
      ...keys.pageCode(code.code),
      type: 'pageCode',
      ...code,
      // DynamoDB's TTL reads epoch seconds; a day after the code stops counting.
      expiresAt: Math.floor(Date.parse(code.expiresAt) / 1000) + 86_400,
      codeExpiresAt: code.expiresAt,
    });
  }

  async get(code: string, now: Date): Promise<PageCode | undefined> {
    const item = await this.table.getItem(keys.pageCode(code));
    if (!item || typeof item.codeExpiresAt !== 'string' || item.codeExpiresAt <= now.toISOString())
      return undefined;
    const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : '');
    return {
      code: text('code'),
      incidentId: text('incidentId'),
      key: text('key'),
      personId: text('personId'),
      address: text('address'),
      phone: text('phone'),
      createdAt: text('createdAt'),
      expiresAt: text('codeExpiresAt'),
    };
  }
}
