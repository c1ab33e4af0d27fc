import { z } from 'zod';
import { defineTool, failSkill } from '../../src/agent/define.js';
import type { SupportData } from './data.js';

/**
 * The support agent's tools: every read of customer data and every change goes through one of
 * these, so Warden's guard sees it. Each is built over one `SupportData`.
 */
export function supportTools(data: SupportData) {
  const lookupCustomer = defineTool({
    name: 'lookup-customer',
    description: 'Reads a customer profile',
    input: z.object({ customerId: z.string().min(1) }),
    policy: { resource: ({ customerId }) => customer(customerId) },
    run: async ({ customerId }) =>
      data.customers.get(customerId) ?? failSkill(`customer "${customerId}" does not exist`),
  });

  const listOrders = defineTool({
    name: 'list-orders',
    description: "Lists a customer's orders",
    input: z.object({ customerId: z.string().min(1) }),
    policy: { resource: ({ customerId }) => customer(customerId) },
    run: async ({ customerId }) =>
      [...data.orders.values()].filter((o) => o.customerId === customerId),
  });

  const listTickets = defineTool({
    name: 'list-tickets',
    description: "Lists a customer's support tickets",
    input: z.object({ customerId: z.string().min(1) }),
    policy: { resource: ({ customerId }) => customer(customerId) },
    run: async ({ customerId }) =>
      [...data.tickets.values()].filter((t) => t.customerId === customerId),
  });

  const openTicket = defineTool({
    name: 'open-ticket',
    description: 'Opens a support ticket',
    input: z.object({
      customerId: z.string().min(1),
      subject: z.string().min(1).max(200),
      orderId: z.string().optional(),
      openedBy: z.string(),
    }),
    policy: { resource: ({ customerId }) => customer(customerId) },
    run: async (input) => {
      if (!data.customers.has(input.customerId))
        failSkill(`customer "${input.customerId}" does not exist`);
      const ticket = { ...input, id: data.newTicketId(), status: 'open' as const };
      data.tickets.set(ticket.id, ticket);
      return ticket;
    },
  });

  const issueRefund = defineTool({
    name: 'issue-refund',
    description: 'Refunds part or all of an order',
    input: z.object({
      orderId: z.string().min(1),
      amount: z.number().positive(),
      reason: z.string().max(500),
      requestedBy: z.string(),
    }),
    // Policy compares whole cents: the $50 threshold must not depend on float rounding.
    policy: {
      resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
      context: ({ amount }) => ({ amountCents: Math.round(amount * 100) }),
    },
    run: async ({ orderId, amount, reason, requestedBy }) => {
      const order = data.orders.get(orderId) ?? failSkill(`order "${orderId}" does not exist`);
      const refundable = Math.round((order.total - order.refunded) * 100) / 100;
      if (amount > refundable)
        failSkill(`order "${orderId}" has only ${refundable} left to refund`);

      order.refunded = Math.round((order.refunded + amount) * 100) / 100;
      const refund = { id: `r-${data.refunds.length + 1}`, orderId, amount, reason, requestedBy };
      data.refunds.push(refund);
      return refund;
    },
  });

  return { lookupCustomer, listOrders, listTickets, openTicket, issueRefund };
}

export type SupportTools = ReturnType<typeof supportTools>;

function customer(id: string) {
  return { type: 'Customer', id };
}
