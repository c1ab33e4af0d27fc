import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';
import { isNoScript, type LimitsRedis } from './redis.js';
import type { BudgetCharge, BudgetKeys, BudgetStore, ChargeResult } from './budget-store.js';

/**
 * Checks every charge, then adds all or none, in one script: Redis runs a script to its end before
 * any other command, so concurrent charges from several processes cannot both pass a check that
 * only one of them fits. KEYS: the task's and the context's hash. ARGV: retention in ms, then for
 * each charge its key index (1 or 2), counter, amount and maximum.
 * Returns {admitted (1/0), index of the first charge over its maximum (0 if none), values...}.
 */
const CHARGE_SCRIPT = `
local n = (#ARGV - 1) / 4
local values = {}
local exceeded = 0
for i = 1, n do
  local at = 2 + (i - 1) * 4
  local key = KEYS[tonumber(ARGV[at])]
  values[i] = tonumber(redis.call('HGET', key, ARGV[at + 1]) or '0')
  if exceeded == 0 and values[i] + tonumber(ARGV[at + 2]) > tonumber(ARGV[at + 3]) then
    exceeded = i
  end
end
if exceeded > 0 then
  return {0, exceeded, unpack(values)}
end
for i = 1, n do
  local at = 2 + (i - 1) * 4
  values[i] = redis.call('HINCRBY', KEYS[tonumber(ARGV[at])], ARGV[at + 1], ARGV[at + 2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {1, 0, unpack(values)}
`;

const CHARGE_SHA = createHash('sha1').update(CHARGE_SCRIPT).digest('hex');

/** Budget counters in Redis hashes under `<prefix>budget:`, kept `retentionMs` after each use. */
export function redisBudgetStore(
  redis: LimitsRedis,
  prefix: string,
  retentionMs: number,
): BudgetStore {
  return {
    async charge(keys, charges) {
      const redisKeys = [
        `${prefix}budget:task:${keys.task}`,
        `${prefix}budget:ctx:${keys.context}`,
      ];
      const args = [String(retentionMs), ...charges.flatMap(chargeArgs)];
      return parseReply(await evalCharge(redis, redisKeys, args));
    },
    close: async () => {},
  };
}

function chargeArgs(charge: BudgetCharge): string[] {
  const keyIndex = charge.scope === 'task' ? '1' : '2';
  return [keyIndex, charge.counter, String(charge.amount), String(charge.max)];
}

// EVALSHA first, as the script is sent once per Redis lifetime; NOSCRIPT (a restarted Redis)
// falls back to EVAL, which also caches it again.
async function evalCharge(redis: LimitsRedis, keys: string[], args: string[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await redis.send(['EVALSHA', CHARGE_SHA, ...tail]);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return redis.send(['EVAL', CHARGE_SCRIPT, ...tail]);
  }
}

function parseReply(reply: unknown): ChargeResult {
  if (!Array.isArray(reply) || reply.length < 2) {
    throw new WardenError('ERR_LIMITS_UNAVAILABLE', 'unexpected reply from the budget script');
  }
  const [admitted, exceeded, ...values] = reply.map(Number);
  return { admitted: admitted === 1, exceeded: (exceeded ?? 0) - 1, values };
}
