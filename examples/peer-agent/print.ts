import { taskStateToJSON, type Part, type Task } from '@a2a-js/sdk';

/**
 * Formats the task as the lines the peer prints: its id, its state, the text of its status
 * message and, as JSON, the data part of its first artifact that has one.
 */
export function formatTask(task: Task): string {
  const state = task.status ? taskStateToJSON(task.status.state) : 'unknown';
  const message = textOf(task.status?.message?.parts ?? []);
  const data = task.artifacts
    .map((artifact) => dataOf(artifact.parts))
    .find((d) => d !== undefined);

  return [
    `task:    ${task.id}`,
    `state:   ${state}`,
    `message: ${message === '' ? '(none)' : indent(message)}`,
    `result:  ${data === undefined ? '(no data part)' : indent(JSON.stringify(data, null, 2))}`,
  ].join('\n');
}

/** Lines up continuation lines under the value column of the first. */
function indent(text: string): string {
  return text.replaceAll('\n', '\n         ');
}

function textOf(parts: readonly Part[]): string {
  const texts = parts.map((part) => (part.content?.$case === 'text' ? part.content.value : ''));

  return texts.filter((text) => text !== '').join(' ');
}

function dataOf(parts: readonly Part[]): unknown {
  const part = parts.find((candidate) => candidate.content?.$case === 'data');

  return part?.content?.$case === 'data' ? (part.content.value as unknown) : undefined;
}
