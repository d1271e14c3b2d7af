// The Musical Chair paper's hand-made distributions (reference/musical-chair.md), as layouts on
// any farm with enough devices, so every run can be compared with them on the same farm. Stages
// are found by structure, not by layer names: the conv stack ends where the first fully connected
// layer starts, fc_1 is that layer (split in two halves), VGG's blocks end at its pooling layers.
// Board A of the paper only streamed the input; here the coordinator does that, so A stays idle.
import { InputError } from '../contract/errors';
import type { Layout, PartLayout, StageLayout } from './cost';
import type { FarmBoard, Farm } from './farm';
import { type Chain, opClass } from './layers';

export const PRESET_IDS = ['paper-5', 'paper-6', 'paper-9', 'paper-11'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

/** The paper's device count for each preset (the input device A included). */
export const PRESET_DEVICES: Record<PresetId, number> = {
  'paper-5': 5,
  'paper-6': 6,
  'paper-9': 9,
  'paper-11': 11,
};

interface Landmarks {
  /** Index of fc_1, the first fully connected layer. */
  fc1: number;
  /** End of fc_1's split run (fc_1 and its activation). */
  fc1End: number;
  /** End of each pooling block of the conv stack (after each pool layer). */
  blockEnds: number[];
}

function landmarks(chain: Chain): Landmarks {
  const layers = chain.model.layers;
  const fc1 = layers.findIndex((l) => opClass(l) === 'gemm');
  const fc1End = chain.splitEnd.get(fc1);
  if (fc1 < 1 || fc1End === undefined || !chain.cuts[fc1] || fc1End >= layers.length) {
    throw new InputError(
      `the paper's presets need a conv stack followed by at least two fully connected layers; ${chain.model.name} has none to split`,
    );
  }
  const blockEnds: number[] = [];
  layers.forEach((l, i) => {
    if (i < fc1 && opClass(l) === 'pool' && chain.cuts[i + 1]) blockEnds.push(i + 1);
  });
  return { fc1, fc1End, blockEnds };
}

function halves(chain: Chain, fc1: number, devices: readonly FarmBoard[]): PartLayout[] {
  const c = chain.channels.get(fc1)!;
  const mid = Math.floor(c / 2);
  return [
    { share: mid / c, channels: [0, mid], devices: [devices[0]!] },
    { share: (c - mid) / c, channels: [mid, c], devices: [devices[1]!] },
  ];
}

const whole = (from: number, to: number, devices: readonly FarmBoard[]): StageLayout => ({
  from,
  to,
  parts: [{ share: 1, devices }],
});

/** The preset's layout on the farm's first devices (device A, the first, left idle). */
export function presetLayout(id: PresetId, chain: Chain, farm: Farm): Layout {
  const need = PRESET_DEVICES[id];
  if (farm.devices.length < need) {
    throw new InputError(`preset ${id} needs ${need} devices; the farm has ${farm.devices.length}`);
  }
  const d = farm.devices.slice(1, need);
  const n = chain.model.layers.length;
  const { fc1, fc1End, blockEnds } = landmarks(chain);
  const fcTail = (devs: readonly FarmBoard[], tail: FarmBoard): StageLayout[] => [
    { from: fc1, to: fc1End, parts: halves(chain, fc1, devs) },
    whole(fc1End, n, [tail]),
  ];
  switch (id) {
    case 'paper-5':
      return [whole(0, fc1, [d[0]!]), ...fcTail([d[1]!, d[2]!], d[3]!)];
    case 'paper-6':
      return [whole(0, fc1, [d[0]!, d[1]!]), ...fcTail([d[2]!, d[3]!], d[4]!)];
    case 'paper-11':
      return [whole(0, fc1, d.slice(0, 7)), ...fcTail([d[7]!, d[8]!], d[9]!)];
    case 'paper-9': {
      if (blockEnds.length < 5) {
        throw new InputError(
          `preset paper-9 needs VGG's five pooling blocks; ${chain.model.name} has ${blockEnds.length}`,
        );
      }
      const [b1, , , b4] = blockEnds as [number, number, number, number];
      return [
        whole(0, b1, [d[0]!]),
        whole(b1, b4, [d[1]!, d[2]!, d[3]!]),
        whole(b4, fc1, [d[4]!]),
        ...fcTail([d[5]!, d[6]!], d[7]!),
      ];
    }
  }
}
