// From a meter URI to its driver.
import type { AgentConnector } from './agent';
import { AgentMeter } from './agent';
import { CsvLogMeter } from './csvlog';
import { KasaMeter } from './kasa';
import type { Meter } from './meter';
import { ScpiMeter } from './scpi';
import { ShellyMeter } from './shelly';
import { parseMeterUri, type MeterSpec } from './uri';
import { WattsUpMeter } from './wattsup';

export interface MeterDeps {
  /** How agent:// meters reach a device's agent; absent outside a run. */
  agents?: AgentConnector;
}

/** Builds the driver for a URI (not yet open). */
export function meterFor(uriOrSpec: string | MeterSpec, deps: MeterDeps = {}): Meter {
  const spec = typeof uriOrSpec === 'string' ? parseMeterUri(uriOrSpec) : uriOrSpec;
  switch (spec.kind) {
    case 'scpi':
    case 'usbtmc':
      return new ScpiMeter(spec);
    case 'shelly':
      return new ShellyMeter(spec);
    case 'kasa':
      return new KasaMeter(spec);
    case 'wattsup':
      return new WattsUpMeter(spec);
    case 'csv':
      return new CsvLogMeter(spec);
    case 'agent':
      return new AgentMeter(spec, deps.agents);
  }
}
