// The partition manifest: a public interface (see DESIGN.md, "Plans and partitions"). Running
// every part with plain onnxruntime in stage order, concatenating split outputs, gives the
// whole model's output. Keep it stable: agents and users' scripts read it.
import { z } from 'zod';

export const TensorDtype = z.enum(['uint8', 'int8', 'float32', 'float16', 'int32', 'int64']);
export type TensorDtype = z.infer<typeof TensorDtype>;

const TensorName = z.string().min(1).max(256);
const Dim = z
  .number()
  .int()
  .min(1)
  .max(1 << 24);

export const ManifestPart = z.object({
  file: z
    .string()
    .regex(/^[A-Za-z0-9._-]+\.onnx$/, 'must be a plain file name ending in .onnx (no folders)'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  inputs: z.array(TensorName).min(1),
  outputs: z.array(TensorName).min(1),
});
export type ManifestPart = z.infer<typeof ManifestPart>;

export const ManifestStage = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  parts: z.array(ManifestPart).min(1),
  /** Present when the stage has more than one part: their outputs join along this axis. */
  concat: z.object({ output: TensorName, axis: z.number().int().min(0).max(7) }).optional(),
});
export type ManifestStage = z.infer<typeof ManifestStage>;

export const Manifest = z
  .object({
    model: z.string().min(1).max(256),
    input: z.object({ name: TensorName, dtype: TensorDtype, shape: z.array(Dim).min(1).max(8) }),
    output: TensorName,
    stages: z.array(ManifestStage).min(1),
  })
  .superRefine((m, ctx) => {
    m.stages.forEach((s, i) => {
      if (s.parts.length > 1 && !s.concat) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'concat'],
          message: 'a stage with more than one part needs "concat" {output, axis}',
        });
      }
    });
  });
export type Manifest = z.infer<typeof Manifest>;
