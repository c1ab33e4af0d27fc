import type { Message } from '@a2a-js/sdk';
import type { SkillDefinition } from './define.js';

/** Which skill a message asks for, and the raw arguments it gives. */
export type SkillRequest =
  | { readonly kind: 'skill'; readonly skill: SkillDefinition; readonly args: unknown }
  | { readonly kind: 'unknown-skill'; readonly skillId: string }
  | { readonly kind: 'none' };

/**
 * Reads which skill a message invokes. A data part with a `skill` field names it explicitly, its
 * other fields being the arguments (`{"skill": "refunds", "orderId": "o-1001", "amount": 20}`);
 * otherwise each skill's plain-text parser is offered the message's text, in declaration order.
 *
 * The request gate and the executor both call this, so the skill whose scopes are checked is
 * always the skill that runs.
 */
export function readSkillRequest(
  message: Message,
  skills: ReadonlyMap<string, SkillDefinition>,
): SkillRequest {
  const explicit = findSkillDataPart(message);
  if (explicit !== undefined) {
    const { skill: skillId, ...args } = explicit;
    const skill = skills.get(skillId);
    return skill ? { kind: 'skill', skill, args } : { kind: 'unknown-skill', skillId };
  }

  const text = textOf(message);
  for (const skill of skills.values()) {
    const args = text.length > 0 ? skill.parseText?.(text) : undefined;
    if (args !== undefined) return { kind: 'skill', skill, args };
  }
  return { kind: 'none' };
}

/** The message's text parts, joined by newlines. */
export function textOf(message: Message): string {
  const texts = message.parts.flatMap((part) =>
    part.content?.$case === 'text' ? [part.content.value] : [],
  );
  return texts.join('\n').trim();
}

function findSkillDataPart(
  message: Message,
): ({ skill: string } & Record<string, unknown>) | undefined {
  for (const part of message.parts) {
    if (part.content?.$case !== 'data') continue;

    const value: unknown = part.content.value;
    if (isRecord(value) && typeof value['skill'] === 'string') {
      return value as { skill: string } & Record<string, unknown>;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
