/** `context.time`: the current time in the configured zone, to the minute. */
export interface TimeContext {
  /** Local time with its offset, e.g. `2025-01-06T09:05+01:00`. */
  readonly iso: string;
  /** Local date, e.g. `2025-01-06`. */
  readonly date: string;
  readonly hour: number;
  readonly minute: number;
  /** `Mon` .. `Sun`. */
  readonly weekday: string;
  /** The IANA zone, e.g. `Europe/Berlin`. */
  readonly zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The time context Cedar sees. It stops at the minute on purpose: a policy cannot depend on
 * anything finer, so a decision cached within a minute is exactly the decision Cedar would make.
 */
export function timeContext(at: Date, timeZone: string): TimeContext {
  const parts = partsOf(formatterFor(timeZone), at);
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const hour = Number(parts.hour) % 24; // some engines print midnight as 24
  const time = `${String(hour).padStart(2, '0')}:${parts.minute}`;

  return {
    iso: `${date}T${time}${offsetOf(parts.timeZoneName ?? 'GMT')}`,
    date,
    hour,
    minute: Number(parts.minute),
    weekday: parts.weekday ?? '',
    zone: timeZone,
  };
}

/** True when `timeZone` is an IANA zone this Node knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function partsOf(formatter: Intl.DateTimeFormat, at: Date): Partial<Record<string, string>> {
  const parts: Partial<Record<string, string>> = {};
  for (const part of formatter.formatToParts(at)) parts[part.type] = part.value;
  return parts;
}

// `GMT+01:00` -> `+01:00`; `GMT` alone is UTC.
function offsetOf(name: string): string {
  const offset = name.replace(/^GMT/, '');
  return offset === '' ? 'Z' : offset;
}
