import { entityValue, type EntityResolvers } from '../../src/agent/define.js';
import type { SupportData } from './data.js';

/**
 * What the support back office tells policy about its entities (`policies/support`): a customer's
 * account holder and relationships, an order's total and the customer it belongs to. An id the
 * back office does not know resolves to `undefined`, which denies the call.
 */
export function supportResolvers(data: SupportData): EntityResolvers {
  return {
    Customer: (id) => {
      const account = data.accounts.get(id);
      if (account === undefined) return undefined;
      return {
        attrs: {
          account: entityValue('User', account.user),
          relatedUsers: account.relatedUsers.map((user) => entityValue('User', user)),
          relatedAgents: account.relatedAgents.map((agent) => entityValue('Agent', agent)),
        },
      };
    },
    Order: (id) => {
      const order = data.orders.get(id);
      if (order === undefined) return undefined;
      return {
        attrs: { totalCents: Math.round(order.total * 100) },
        parents: [{ type: 'Customer', id: order.customerId }],
      };
    },
  };
}
