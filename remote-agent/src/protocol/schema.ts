// The agent's wire protocol: one Avro IPC protocol spoken between the coordinator and agents and
// between agents (board to board). Every frame message carries its run id and frame id, so a
// receiver can refuse a stale run and join split stages by frame, never by arrival order.
import avro from 'avsc';
// Bounds array and map counts by the bytes received before any message is decoded.
import './bounded';
import type { AvroArgs, AvroRecordValue, AvroValue, NamedTypes } from './avro-types';
import { frameWire } from './frame-wire';

export const PROTOCOL_VERSION = 2;

/**
 * The board's own state, in telemetry and in readings alike. cpuPercent: the agent's CPU share
 * since the previous call of the same message, % of all cores.
 */
const boardFields = [
  { name: 'cpuPercent', type: 'double' },
  { name: 'rssBytes', type: 'long' },
  { name: 'temperatureC', type: ['null', 'double'], default: null },
  { name: 'throttled', type: ['null', 'int'], default: null },
  { name: 'rails', type: { type: 'array', items: 'Rail' } },
  { name: 'emulated', type: 'boolean' },
  /**
   * What the kernel could still give without swapping (MemAvailable): with rssBytes, the memory
   * parts may use on the board. Null where there is no /proc, or from an agent before it.
   */
  { name: 'availableBytes', type: ['null', 'long'], default: null },
] as const;

const protocol = {
  protocol: 'MusicalChairAgent',
  namespace: 'lab.musicalchair',
  types: [
    {
      type: 'record',
      name: 'Tensor',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'dtype', type: 'string' },
        { name: 'shape', type: { type: 'array', items: 'long' } },
        { name: 'bytes', type: 'bytes' },
      ],
    },
    {
      type: 'record',
      name: 'Frame',
      fields: [
        { name: 'runId', type: 'string' },
        { name: 'frameId', type: 'long' },
        /** Destination stage index; stages.length means the coordinator's sink. */
        { name: 'stage', type: 'int' },
        /** Destination part within that stage. */
        { name: 'part', type: 'int' },
        /** Which part of the previous stage produced these tensors (joins split stages). */
        { name: 'fromPart', type: 'int' },
        /**
         * Replica ids chosen at fan-out for each part of the stage after a split stage, so that
         * every part of the split delivers this frame to the same consumer. Empty elsewhere.
         */
        { name: 'consumers', type: { type: 'array', items: 'string' } },
        { name: 'tensors', type: { type: 'array', items: 'Tensor' } },
      ],
    },
    {
      type: 'record',
      name: 'Ack',
      fields: [
        { name: 'frameId', type: 'long' },
        /**
         * A one-stage plan's results: its only stage is fed by the coordinator and delivers to
         * it, so the answer carries them (see answersResults) instead of a message of their own
         * to the sink and that message's answer: half the messages per frame.
         */
        { name: 'tensors', type: { type: 'array', items: 'Tensor' }, default: [] },
      ],
    },
    {
      type: 'record',
      name: 'Peer',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'host', type: 'string' },
        { name: 'port', type: 'int' },
      ],
    },
    {
      type: 'record',
      name: 'PartSpec',
      fields: [
        { name: 'file', type: 'string' },
        { name: 'sha256', type: 'string' },
        { name: 'inputs', type: { type: 'array', items: 'string' } },
        { name: 'outputs', type: { type: 'array', items: 'string' } },
        /** The agents running this part (data-parallel replicas). */
        { name: 'replicas', type: { type: 'array', items: 'Peer' } },
      ],
    },
    {
      type: 'record',
      name: 'Concat',
      fields: [
        { name: 'output', type: 'string' },
        { name: 'axis', type: 'int' },
      ],
    },
    {
      type: 'record',
      name: 'StageSpec',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'parts', type: { type: 'array', items: 'PartSpec' } },
        { name: 'concat', type: ['null', 'Concat'], default: null },
      ],
    },
    {
      type: 'record',
      name: 'Deployment',
      fields: [
        { name: 'runId', type: 'string' },
        { name: 'stages', type: { type: 'array', items: 'StageSpec' } },
        /** Where the last stage delivers results (the coordinator). */
        { name: 'sink', type: 'Peer' },
        /** Frames a sender may have in flight at one receiver replica. */
        { name: 'window', type: 'int' },
        /**
         * Virtual farm only: ms the emulated device takes per frame, keyed "agentId/part" (see
         * partName). The agent computes for real, then holds the result until this has passed.
         */
        { name: 'holdMs', type: { type: 'map', values: 'double' }, default: {} },
        /**
         * The planner's expected compute ms per frame of each part on each board, keyed like
         * holdMs: a part expected to be quick computes on the agent's wire thread, any other
         * (or one not listed) on a thread of its own (see remote-agent/src/compute.ts).
         */
        { name: 'expectMs', type: { type: 'map', values: 'double' }, default: {} },
      ],
    },
    {
      type: 'record',
      name: 'Deployed',
      fields: [
        { name: 'agentId', type: 'string' },
        { name: 'parts', type: { type: 'array', items: 'string' } },
        { name: 'backend', type: 'string' },
        { name: 'loadMs', type: 'double' },
      ],
    },
    {
      type: 'record',
      name: 'Health',
      fields: [
        { name: 'agentId', type: 'string' },
        { name: 'protocolVersion', type: 'int' },
        { name: 'backend', type: 'string' },
        { name: 'profile', type: ['null', 'string'], default: null },
        { name: 'runId', type: ['null', 'string'], default: null },
        { name: 'uptimeMs', type: 'double' },
        /** The agent's monotonic clock (ms): with the ping's round trip, the clock offset. */
        { name: 'now', type: 'double', default: 0 },
        { name: 'nonce', type: 'long' },
        /** How many times slower than its profile the board computes now (thermal throttling). */
        { name: 'slowdown', type: 'double', default: 1 },
      ],
    },
    {
      type: 'record',
      name: 'PartTelemetry',
      fields: [
        { name: 'part', type: 'string' },
        { name: 'frames', type: 'long' },
        { name: 'computeMs', type: 'double' },
        /** Wall time the part's emulated device was busy (computeMs when not emulated). */
        { name: 'busyMs', type: 'double' },
        { name: 'queueWaitMs', type: 'double' },
        /** Most frames waiting in this part's queue at once during the interval. */
        { name: 'maxQueue', type: 'int', default: 0 },
        /**
         * Emulated boards: frames this machine computed slower than the profile's time, so the
         * hold could not hide it and the emulated figure is slower than the board would be.
         */
        { name: 'overruns', type: 'int', default: 0 },
        { name: 'bytesIn', type: 'long' },
        { name: 'bytesOut', type: 'long' },
      ],
    },
    {
      type: 'record',
      name: 'Rail',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'w', type: 'double' },
      ],
    },
    {
      type: 'record',
      name: 'Telemetry',
      fields: [
        { name: 'agentId', type: 'string' },
        /** Agent's monotonic clock, ms: the coordinator uses it to align clocks. */
        { name: 'at', type: 'double' },
        /** Counters since the previous telemetry call. */
        { name: 'intervalMs', type: 'double' },
        { name: 'parts', type: { type: 'array', items: 'PartTelemetry' } },
        ...boardFields,
      ],
    },
    {
      type: 'record',
      name: 'Readings',
      fields: [{ name: 'agentId', type: 'string' }, ...boardFields],
    },
  ],
  messages: {
    ping: { request: [{ name: 'nonce', type: 'long' }], response: 'Health' },
    deploy: { request: [{ name: 'deployment', type: 'Deployment' }], response: 'Deployed' },
    /** Answers once the receiver is done with the frame: its credit returns to the sender. */
    forward: { request: [{ name: 'frame', type: 'Frame' }], response: 'Ack' },
    telemetry: { request: [], response: 'Telemetry' },
    /**
     * The board's readings without the per-part counters: unlike telemetry it resets nothing a
     * running coordinator counts (the app's farm table asks for it).
     */
    readings: { request: [], response: 'Readings' },
    /**
     * The board's own power rails as JSON (RailsReading in protocol/rails.ts, validated by
     * the reader); fails on a board without rails.
     */
    powerRead: { request: [], response: 'string' },
    /** Ends a run: drops its sessions; frames still in flight are answered with an error. */
    undeploy: { request: [{ name: 'runId', type: 'string' }], response: 'null' },
    /**
     * Emulated thermal throttling (chaos tests and demos): from now on every frame takes
     * `factor` times its time (1 = full speed again).
     */
    throttle: { request: [{ name: 'factor', type: 'double' }], response: 'null' },
  },
} as const;

export const agentService = avro.Service.forProtocol(protocol);
/** Frames in and out without copying their tensors (decoding with it is set up here, for every reader). */
export const frameCodec = frameWire(
  agentService as unknown as Parameters<typeof frameWire>[0],
  protocol.namespace,
);

export type Dtype = 'uint8' | 'int8' | 'float32' | 'float16' | 'int32' | 'int64';

type Named = NamedTypes<typeof protocol.types>;
type Messages = typeof protocol.messages;

/** A record of the protocol as a receiver decodes it (every field present). */
export type Received<Name extends keyof Named> = AvroRecordValue<Named[Name], Named, 'read'>;
/** A record of the protocol as a sender may write it (fields with a default may be left out). */
export type Outgoing<Name extends keyof Named> = AvroRecordValue<Named[Name], Named, 'write'>;

export type WireTensor = Received<'Tensor'>;
export type Frame = Received<'Frame'>;
export type Ack = Received<'Ack'>;
export type Peer = Received<'Peer'>;
export type PartSpec = Received<'PartSpec'>;
export type StageSpec = Received<'StageSpec'>;
export type Deployment = Received<'Deployment'>;
export type Deployed = Received<'Deployed'>;
export type Health = Received<'Health'>;
export type PartTelemetry = Received<'PartTelemetry'>;
export type Telemetry = Received<'Telemetry'>;
export type Readings = Received<'Readings'>;

/**
 * The handlers an endpoint (agent or coordinator sink) implements; unhandled messages fail. Each
 * takes its message's request fields and answers what the message's response may be written as.
 */
export type Handlers = {
  [M in keyof Messages]?: (
    ...args: AvroArgs<Messages[M]['request'], Named>
  ) => Promise<AvroValue<Messages[M]['response'], Named, 'write'>>;
};

/**
 * Whether a deployment's results ride on the answers to the coordinator's frames: in a one-stage
 * plan the coordinator both feeds the stage and collects its results, so sending them back as
 * messages of their own would add two messages per frame (the result and its answer) for nothing.
 */
export function answersResults(d: { readonly stages: readonly unknown[] }): boolean {
  return d.stages.length === 1;
}

/** Name of a part as agents and telemetry show it: stage id + part index. */
export function partName(stageId: string, part: number): string {
  return `${stageId}.p${part}`;
}
