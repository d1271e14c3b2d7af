// The protocol's TypeScript types are read off its Avro schema (avro-types.ts): these checks fail
// `npm run typecheck` if the reading drifts (a field lost, a default not optional when written,
// a union or a named reference read wrong), and the round trip checks avsc agrees at run time.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  agentService,
  type Ack,
  type Frame,
  type Handlers,
  type Health,
  type Outgoing,
  type Readings,
  type WireTensor,
} from '../src/protocol/index';

describe('types read off the Avro schema', () => {
  it('reads records, unions, arrays, maps and named references', () => {
    expectTypeOf<WireTensor>().toEqualTypeOf<{
      name: string;
      dtype: string;
      shape: number[];
      bytes: Buffer;
    }>();
    expectTypeOf<Frame['tensors']>().toEqualTypeOf<WireTensor[]>();
    expectTypeOf<Health['profile']>().toEqualTypeOf<string | null>();
    expectTypeOf<Readings['rails']>().toEqualTypeOf<{ name: string; w: number }[]>();
    expectTypeOf<Outgoing<'Deployment'>['holdMs']>().toEqualTypeOf<
      Record<string, number> | undefined
    >();
    // @ts-expect-error a frame id is a number on the wire
    const bad: Frame['frameId'] = 'one';
    expect(bad).toBe('one');
  });

  it('makes a defaulted field optional to a sender and present to a receiver', () => {
    expectTypeOf<Ack['tensors']>().toEqualTypeOf<WireTensor[]>();
    expectTypeOf<Outgoing<'Ack'>>().toEqualTypeOf<{ frameId: number; tensors?: WireTensor[] }>();
    expectTypeOf<Parameters<NonNullable<Handlers['ping']>>>().toEqualTypeOf<[number]>();
    expectTypeOf<ReturnType<NonNullable<Handlers['undeploy']>>>().toEqualTypeOf<Promise<null>>();
  });

  it('avsc fills what a sender left out, as the receiver type says', () => {
    const ack: Outgoing<'Ack'> = { frameId: 7 };
    const type = agentService.type('lab.musicalchair.Ack');
    if (!type) throw new Error('no Ack type in the protocol');
    const back = type.fromBuffer(type.toBuffer(ack)) as Ack;
    expect(back.frameId).toBe(7);
    expect(back.tensors).toEqual([]);
  });
});
