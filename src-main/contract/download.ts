// What the Models view's "Get a trained model" and Settings' mirrors exchange with the core: the
// catalogue of trained models with their cards, a download's progress, and the lab's mirrors (base
// URLs holding a copy of the ONNX Model Zoo's tree, tried before the zoo's own hosts).
import { z } from 'zod';
import { ModelCard, type ModelInputContract } from './modelCard';

/** A catalogue id, as `mchair model get NAME` takes it. */
export const CatalogueId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'is not a catalogue name');

export const CatalogueRow = z.object({
  id: CatalogueId,
  bytes: z.number().int(),
  sha256: z.string(),
  /** On the zoo's public hosts (the others come only from a mirror or by import). */
  public: z.boolean(),
  /** A model of this name with these bytes' card is in the library already. */
  inLibrary: z.boolean(),
  card: ModelCard,
});
export type CatalogueRow = z.infer<typeof CatalogueRow>;

export const DownloadProgress = z.object({
  id: z.string(),
  /** Where the bytes come from now: `mirror <base>` or a host name. */
  source: z.string(),
  received: z.number().int(),
  total: z.number().int(),
  rateBps: z.number(),
  /** Seconds left at the current rate; null while unknown. */
  etaS: z.number().nullable(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

/** The most mirrors a lab keeps: each failing one costs two requests before the next. */
export const MAX_MIRRORS = 16;

/**
 * A mirror's base URL: http(s), no query or fragment (the model's path is appended to it).
 * Credentials in it are refused: the list is stored in clear.
 */
export const MirrorUrl = z
  .string()
  .trim()
  .max(2000)
  .superRefine((s, ctx) => {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not an address (https://host/path)` });
      return;
    }
    const fault =
      url.protocol !== 'https:' && url.protocol !== 'http:'
        ? 'must start with https:// or http://'
        : url.search || url.hash || s.includes('?') || s.includes('#')
          ? 'must not have a ?query or #fragment (the model path is appended to it)'
          : url.username || url.password
            ? 'must not hold a user name or password (the mirror list is stored in clear)'
            : null;
    if (fault) ctx.addIssue({ code: 'custom', message: `mirror ${s} ${fault}` });
  })
  .transform((s) => s.replace(/\/+$/, ''));

export const MirrorList = z.array(MirrorUrl).max(MAX_MIRRORS);

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** "12.3 of 233.0 MiB, 4.5 MiB/s, 48 s left": the CLI's line and the app's bar caption. */
export function describeProgress(p: DownloadProgress): string {
  const rate = p.rateBps > 0 ? `, ${mib(p.rateBps)} MiB/s` : '';
  const left = p.etaS !== null && p.received < p.total ? `, ${duration(p.etaS)} left` : '';
  return `${mib(p.received)} of ${mib(p.total)} MiB${rate}${left}`;
}

/** "float32 NCHW RGB 0-1, mean 0.485,0.456,0.406 std 0.229,0.224,0.225, resize 256x256, centre crop". */
export function describeInput(i: ModelInputContract): string {
  const unit = i.mean.every((m) => m === 0) && i.std.every((s) => s === 1);
  return [
    `${i.dtype} ${i.layout.toUpperCase()} ${i.channels.toUpperCase()} ${i.range}`,
    unit ? null : `mean ${i.mean.join(',')} std ${i.std.join(',')}`,
    `resize ${i.resize.join('x')}${i.crop === 'center' ? ', centre crop' : ''}`,
  ]
    .filter(Boolean)
    .join(', ');
}
