import type { Envelope, EventType } from '@switchyard/shared';

export interface FilterResult {
  kept: Envelope[];
  filtered: number;
}

/** Keeps the events whose type is listed; an empty list keeps every event (EVENT_FILTER_TYPES unset). */
export function createTypeFilter(types: readonly EventType[]): (events: readonly Envelope[]) => FilterResult {
  if (types.length === 0) return (events) => ({ kept: [...events], filtered: 0 });
  const allowed = new Set<string>(types);
  return (events) => {
    const kept = events.filter((e) => allowed.has(e.event_type));
    return { kept, filtered: events.length - kept.length };
  };
}
