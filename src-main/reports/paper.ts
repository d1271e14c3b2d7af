// The published Musical Chair figures (ReQuEST'18 paper, read off its bar charts, +-2%): the
// yardstick every report and the demo's table put our runs next to.

export type PaperModel = 'AlexNet' | 'VGG16';

export interface PaperFigure {
  model: PaperModel;
  system: string;
  ips: number;
  dynamicJ: number;
  staticJ: number;
  totalJ: number;
}

export const PAPER_FIGURES: readonly PaperFigure[] = [
  { model: 'AlexNet', system: 'TX2 GPU', ips: 7.1, dynamicJ: 0.74, staticJ: 0.79, totalJ: 1.54 },
  { model: 'AlexNet', system: 'TX2 CPU', ips: 5.6, dynamicJ: 0.43, staticJ: 1.02, totalJ: 1.46 },
  { model: 'AlexNet', system: '5 Pis', ips: 4.3, dynamicJ: 0.81, staticJ: 1.5, totalJ: 2.3 },
  { model: 'AlexNet', system: '6 Pis', ips: 5.7, dynamicJ: 0.35, staticJ: 1.74, totalJ: 2.1 },
  { model: 'VGG16', system: 'TX2 GPU', ips: 1.29, dynamicJ: 4.1, staticJ: 4.5, totalJ: 8.7 },
  { model: 'VGG16', system: 'TX2 CPU', ips: 0.52, dynamicJ: 7.4, staticJ: 11.0, totalJ: 18.2 },
  { model: 'VGG16', system: '9 Pis', ips: 0.48, dynamicJ: 13.6, staticJ: 26.3, totalJ: 40.0 },
  { model: 'VGG16', system: '11 Pis', ips: 1.11, dynamicJ: 10.4, staticJ: 16.6, totalJ: 27.0 },
];

/** The paper's model a run's model corresponds to (alexnet-mc, alexnet, vgg16, ...), if any. */
export function paperModelFor(model: string): PaperModel | undefined {
  const m = model.toLowerCase();
  if (m.startsWith('alexnet')) return 'AlexNet';
  if (m.startsWith('vgg16')) return 'VGG16';
  return undefined;
}
