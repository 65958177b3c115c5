import { z } from 'zod';

export const Model = z
  .object({ id: z.string(), type: z.literal('model'), display_name: z.string(), provider: z.string() })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof Model>;
