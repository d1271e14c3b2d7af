// The frames the contract travels in over `mchair serve`'s WebSocket. A page sends a call (an id
// it chose, a command name, raw arguments); the server answers with the same id and the core's
// Envelope, and pushes every core event as it happens. The command's own arguments are checked by
// the core's dispatcher, so this only checks the frame around them.
import { z } from 'zod';
import type { Envelope } from './define';
import type { EventName } from './events';

/** The query parameter that carries the per-start token, in the page URL and the socket URL. */
export const TOKEN_PARAM = 'token';

/** The path of the WebSocket endpoint on the serve origin. */
export const SOCKET_PATH = '/contract';

/** Close code the server sends when a frame is not a valid call (RFC 6455: policy violation). */
export const CLOSE_BAD_FRAME = 1008;

export const SocketCall = z
  .object({
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    name: z.string().min(1).max(128),
    args: z.unknown(),
  })
  .strict();
export type SocketCall = z.infer<typeof SocketCall>;

export type SocketFrame =
  | { kind: 'reply'; id: number; envelope: Envelope<unknown> }
  | { kind: 'event'; name: EventName; payload: unknown };
