// The agent's public surface: everything the app (the coordinator, the virtual farm, the power
// reader) may use of the agent is exported here, and lint refuses an import of anything else in
// remote-agent/ from outside it. The wire (Avro schema and the types derived from it), the
// endpoints that speak it, routing and joining of split stages, tensors on the wire, link pacing
// for emulated boards, and the power rails' reading.
export * from './endpoint';
export * from './framing';
export * from './join';
export * from './medium';
export * from './rails';
export * from './refusal';
export * from './route';
export * from './schema';
export * from './tensor';
