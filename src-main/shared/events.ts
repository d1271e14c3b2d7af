// The event bus: services publish typed events, adapters forward every one of them. Below every
// room that publishes (runtime, core) so none of them reaches up to another for it.
import type { EventName, EventPayload } from '../contract/index';

export type EventListener = <K extends EventName>(name: K, payload: EventPayload<K>) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    for (const l of this.listeners) l(name, payload);
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One event only (a command's progress); returns the function that unsubscribes. */
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
    return this.subscribe((event, payload) => {
      // The same name carries the same payload type; the bus's listener is generic over all.
      if ((event as EventName) === name) listener(payload as unknown as EventPayload<K>);
    });
  }
}
