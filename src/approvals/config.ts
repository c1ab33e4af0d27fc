import { z } from 'zod';

/**
 * The `approvals` section: how held calls wait for a human (A2A §7.6). Every key is in the
 * README's "Configuration" table; keep the two in step.
 */
export const approvalsSchema = z.strictObject({
  /** The scope an operator's token needs to list, show, approve or deny through `/approvals`. */
  operatorScope: z.string().min(1).default('warden.approvals'),
  /** How long a held call waits for a decision before it expires and its task is rejected. */
  expireAfterSec: z
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(3_600),
});

/** The `approvals` section as written, after defaults. */
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
