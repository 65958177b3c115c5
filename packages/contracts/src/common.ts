import { z } from 'zod';

/** RFC 3339 UTC timestamp as returned by the API. */
export const Timestamp = z.string().meta({ description: 'RFC 3339 UTC timestamp', format: 'date-time' });

/** Free-form string pairs attached to an object: at most 16, keys ≤ 64 chars, values ≤ 512. */
export const Metadata = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, { message: 'at most 16 metadata keys' })
  .meta({ id: 'Metadata' });
export type Metadata = z.infer<typeof Metadata>;

export const TextBlock = z.strictObject({ type: z.literal('text'), text: z.string().max(1_000_000) }).meta({ id: 'TextBlock' });
export type TextBlock = z.infer<typeof TextBlock>;

/** Content as a client may send it: a plain string or an array of text blocks. */
export const ContentInput = z.union([z.string().max(1_000_000), z.array(TextBlock).min(1).max(100)]);

/** Content as the API returns it: always an array of blocks. */
export const Content = z.array(TextBlock);
export type Content = z.infer<typeof Content>;

/** Normalises request content to the array-of-blocks form. */
export function toContentBlocks(content: z.infer<typeof ContentInput>): Content {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}
