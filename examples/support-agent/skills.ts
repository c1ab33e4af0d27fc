import { z } from 'zod';
import { defineSkill } from '../../src/agent/define.js';
import type { Principal } from '../../src/auth/principal.js';
import type { SupportTools } from './tools.js';

const customerArgs = z.object({ customerId: z.string().min(1) }).strict();

/** The four support skills; ids match `agent-card/support-agent.yaml`. */
export function supportSkills(tools: SupportTools) {
  const customerProfile = defineSkill({
    id: 'customer-profile',
    input: customerArgs,
    parseText: (text) => matchCustomer(text, /\bprofile (?:of|for) ([a-z0-9-]+)/i),
    run: async ({ customerId }, ctx) => {
      const customer = await ctx.callTool(tools.lookupCustomer, { customerId });
      return {
        text: `${customer.name} <${customer.email}>, ${customer.tier} tier`,
        data: { customer },
      };
    },
  });

  const orderHistory = defineSkill({
    id: 'order-history',
    input: customerArgs,
    parseText: (text) => matchCustomer(text, /\borders (?:of|for) ([a-z0-9-]+)/i),
    run: async ({ customerId }, ctx) => {
      const orders = await ctx.callTool(tools.listOrders, { customerId });
      const lines = orders.map((o) => `${o.id}: ${o.item}, ${o.total} (refunded ${o.refunded})`);
      return {
        text: lines.length > 0 ? lines.join('\n') : `no orders for ${customerId}`,
        data: { orders },
      };
    },
  });

  const supportTickets = defineSkill({
    id: 'support-tickets',
    input: z.discriminatedUnion('action', [
      z.object({ action: z.literal('list'), customerId: z.string().min(1) }).strict(),
      z
        .object({
          action: z.literal('open'),
          customerId: z.string().min(1),
          subject: z.string().min(1).max(200),
          orderId: z.string().optional(),
        })
        .strict(),
    ]),
    run: async (args, ctx) => {
      if (args.action === 'list') {
        const tickets = await ctx.callTool(tools.listTickets, { customerId: args.customerId });
        return { text: `${tickets.length} ticket(s) for ${args.customerId}`, data: { tickets } };
      }
      const ticket = await ctx.callTool(tools.openTicket, {
        ...args,
        openedBy: actingFor(ctx.principal),
      });
      return { text: `opened ticket ${ticket.id}: ${ticket.subject}`, data: { ticket } };
    },
  });

  const refunds = defineSkill({
    id: 'refunds',
    input: z
      .object({
        orderId: z.string().min(1),
        amount: z.number().positive(),
        reason: z.string().max(500).default(''),
      })
      .strict(),
    parseText: (text) => {
      const match = /\brefund (\d+(?:\.\d+)?) (?:on|for) (o-\d+)/i.exec(text);
      return match
        ? { orderId: match[2] ?? '', amount: Number(match[1]), reason: text }
        : undefined;
    },
    run: async ({ orderId, amount, reason }, ctx) => {
      const refund = await ctx.callTool(tools.issueRefund, {
        orderId,
        amount,
        reason,
        requestedBy: actingFor(ctx.principal),
      });
      return {
        text: `refunded ${refund.amount} on ${refund.orderId} (${refund.id})`,
        data: { refund },
      };
    },
  });

  return [customerProfile, orderHistory, supportTickets, refunds];
}

function matchCustomer(text: string, pattern: RegExp) {
  const customerId = pattern.exec(text)?.[1];
  return customerId === undefined ? undefined : { customerId: customerId.toLowerCase() };
}

// Who a change is attributed to: the user an agent acts for, else the agent itself.
function actingFor(principal: Principal): string {
  return principal.user ?? principal.agent;
}
