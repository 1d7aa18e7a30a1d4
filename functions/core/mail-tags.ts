/*
 * The tags each incident mail is sent with: SES puts them in every event about the message (core/mail-events.ts).
 * Apart from the events' parsing, so that sending mail does not load it.
 */

/** The tags each incident mail is sent with (SES tag values: letters, digits, `_` and `-`). */
export interface MailTags {
  incident: string;
  kind: string;
  sequence: number;
}

export const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;

/** The SES message tags of an incident mail, or none when a value cannot be a tag (never in practice). */
export function messageTags(tags: MailTags): { Name: string; Value: string }[] {
  const pairs = [
    { Name: 'incident', Value: tags.incident },
    { Name: 'kind', Value: tags.kind },
    { Name: 'sequence', Value: String(tags.sequence) },
  ];
  return pairs.every((p) => TAG_VALUE.test(p.Value)) ? pairs : [];
}
