import { AllowListError, parseAllowedHosts } from '@stratus/net-guard';
import { z } from 'zod';

/**
 * STRATUS_OUTBOUND_ALLOWED_PRIVATE_HOSTS: the operator's exceptions to the private-address rule,
 * parsed once for every outbound caller of the worker (MCP servers, webhooks).
 */
export const OutboundAllowList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    try {
      return parseAllowedHosts(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof AllowListError ? error.message : String(error) });
      return z.NEVER;
    }
  });
