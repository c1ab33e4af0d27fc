/** In-memory sample data for the customer-support agent: two customers, their orders, tickets. */

export interface Customer {
  id: string;
  name: string;
  email: string;
  tier: 'standard' | 'gold';
}

export interface Order {
  id: string;
  customerId: string;
  item: string;
  total: number;
  refunded: number;
}

export interface Ticket {
  id: string;
  customerId: string;
  subject: string;
  orderId?: string | undefined;
  status: 'open' | 'closed';
  openedBy: string;
}

export interface Refund {
  id: string;
  orderId: string;
  amount: number;
  reason: string;
  requestedBy: string;
}

/** A customer account's owner and relationships, by IdP subject and client id. */
export interface Account {
  user: string;
  relatedUsers: string[];
  relatedAgents: string[];
}

/** The support back office the tools act on. A fresh one per agent instance. */
export class SupportData {
  readonly customers = new Map<string, Customer>([
    ['alice', { id: 'alice', name: 'Alice Example', email: 'alice@example.com', tier: 'gold' }],
    ['bob', { id: 'bob', name: 'Bob Example', email: 'bob@example.com', tier: 'standard' }],
  ]);

  readonly orders = new Map<string, Order>([
    [
      'o-1001',
      { id: 'o-1001', customerId: 'alice', item: 'Espresso machine', total: 249, refunded: 0 },
    ],
    [
      'o-1002',
      { id: 'o-1002', customerId: 'alice', item: 'Coffee grinder', total: 89.5, refunded: 0 },
    ],
    [
      'o-2001',
      { id: 'o-2001', customerId: 'bob', item: 'Milk frother', total: 39.99, refunded: 0 },
    ],
  ]);

  /**
   * Who each customer account is and who has a relationship with it: the policy's ABAC and ReBAC
   * facts. alice linked her shopping assistant peer-agent-a; alice shares bob's household.
   */
  readonly accounts = new Map<string, Account>([
    ['alice', { user: 'alice', relatedUsers: [], relatedAgents: ['peer-agent-a'] }],
    ['bob', { user: 'bob', relatedUsers: ['alice'], relatedAgents: [] }],
  ]);

  readonly tickets = new Map<string, Ticket>();
  readonly refunds: Refund[] = [];

  private nextTicket = 1;

  /** Allocates the next ticket id, `t-1`, `t-2`, ... */
  newTicketId(): string {
    return `t-${this.nextTicket++}`;
  }
}
