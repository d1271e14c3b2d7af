// Power meters and run energy: the API other areas use.
//
// A run measures its power like this (the coordinator's side):
//   withPowerOptions(cmd)                                  // --meter, --idle-seconds, --idle-watts, --meter-interval
//   const opts = powerSessionFrom(PowerFlags.parse(cmd.opts()), {
//     runDir, clock, log,
//     agents: coordinator.powerConnector(clock),           // agent:// meters: the agent's powerRead
//     emulated: emulatedFarmMeters(profiles, tracker.source),  // an emulated farm without --meter
//   });
//   const power = opts && (await startPowerSession(opts)); // measures idle first, then samples
//   ... run; on each RunMetrics tracker.observe(m)
//   power.add(emulatedBoardMeter(board, tracker.source))  // a board that joined: measured from now
//   const energy = power && runEnergy(await power.stop(), completed);  // power.csv, power.json written
//   recorder.finish(state, { ..., energy: energy ?? undefined });      // run.json gains "energy"
// Boards answer for their own rails with findRailsSource/readBoardRails (board.ts).
export { AgentMeter, type AgentConnector, type AgentPowerLink } from './agent';
export { monotonicClock, type Clock } from './clock';
export {
  EmulatedMeter,
  emulatedBoardMeter,
  emulatedFarmMeters,
  emulatedWatts,
  UtilisationTracker,
  type EmulatedDevice,
  type UtilisationSource,
} from './emulated';
export {
  findGaps,
  integrateJ,
  perInference,
  powerStats,
  window,
  type Gap,
  type PerInferenceJ,
  type PowerStats,
} from './energy';
export { resolveInterval, type Meter, type MeterInfo, type MeterScope } from './meter';
export {
  farmWindow,
  PowerFeed,
  runningEnergy,
  shareOfWindow,
  type LiveMeter,
  type LiveWindow,
} from './live';
export { meterFor, type MeterDeps } from './open';
export { PowerFlags, powerSessionFrom, withPowerOptions } from './options';
export { parsePowerCsv } from './powercsv';
export { railsFromTegrastats } from './rails';
export { RailsReading } from '../../remote-agent/src/protocol/index';
export { readMeter, type MeterRead } from './read';
export type { PowerSample } from './sample';
export {
  DEFAULT_IDLE_SECONDS,
  runEnergy,
  sessionMeters,
  startPowerSession,
  type PowerSession,
  type PowerSessionOptions,
  type SessionMeter,
} from './session';
export type { MeterPower, PowerSummary } from './summary';
export { parseMeterUri, type MeterSpec } from './uri';
