import { keys } from '../core/keys.ts';
import type { ClaimTerms, CommsRecord, CommsStore, SendClaim } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/**
 * One record per message kind and sequence of an incident, claimed with a lease before the send (the table's
 * one claim protocol): what makes a send happen once. Done is `sentAt`, as 0.1.0 wrote it; a record 0.1.0 left at
 * `sending` has no lease and is taken over (sent again), as 0.1.0 would have.
 */
export class CommsRepository implements CommsStore {
  constructor(private readonly table: Table) {}

  async claim(record: CommsRecord, terms: ClaimTerms): Promise<SendClaim> {
    const claim = await this.table.claim(keys.comms(record.incidentId, record.kind, record.sequence), {
      ...terms,
      doneAttribute: 'sentAt',
      attributes: { type: 'comms', ...record, status: 'sending' },
    });
    if (claim.outcome === 'claimed' || claim.outcome === 'taken-over') return { state: claim.outcome };
    return { state: claim.outcome, record: entity(claim.item) as unknown as CommsRecord };
  }

  async complete(
    incidentId: string,
    kind: string,
    sequence: number,
    owner: string,
    messageId: string,
    at: string,
  ): Promise<void> {
    const key = keys.comms(incidentId, kind, sequence);
    const held = await this.table.completeClaim(key, {
      owner,
      doneAttribute: 'sentAt',
      attributes: { status: 'sent', messageId, sentAt: at },
    });
    // Not held: a retry took the send over after the lease (and sends or sent it too: at least once).
    if (!held && !(await this.table.getItem(key)))
      throw new Error(`comms record ${kind}/${sequence} of ${incidentId} is missing`);
  }

  async get(incidentId: string, kind: string, sequence: number): Promise<CommsRecord | undefined> {
    const item = await this.table.getItem(keys.comms(incidentId, kind, sequence));
    return item ? (entity(item) as unknown as CommsRecord) : undefined;
  }

  async release(incidentId: string, kind: string, sequence: number, owner: string): Promise<void> {
    await this.table.releaseClaim(keys.comms(incidentId, kind, sequence), { owner, doneAttribute: 'sentAt' });
  }
}
