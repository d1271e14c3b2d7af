// A model card: what a trained classifier expects of a picture and what it answers. Every model in
// the lab's library carries one, from the catalogue (a known sha256), from `mchair model import`'s
// flags or from the Import dialog's form. The farm's wire stays uint8 NHWC RGB frames at the
// model's input size; the library wraps each model with a prefix that turns such a frame into what
// the card describes, and ends it in probabilities (see model/wrap.ts).
import { z } from 'zod';

const Finite = z.number().finite();
const Channel3 = z.tuple([Finite, Finite, Finite]);
const Side = z.number().int().min(8).max(4096);

export const ModelInputContract = z
  .object({
    /** Element type the graph's input takes. */
    dtype: z.enum(['float32', 'float16', 'uint8']),
    layout: z.enum(['nchw', 'nhwc']),
    /** Channel order the graph expects (frames arrive RGB). */
    channels: z.enum(['rgb', 'bgr']),
    /** Value range of a pixel before mean and std: 0-1 (divide by 255) or 0-255. */
    range: z.enum(['0-1', '0-255']),
    /** Per channel, in R,G,B order and in the units of `range`: value = (pixel - mean) / std. */
    mean: Channel3,
    std: Channel3.refine((s) => s.every((v) => v > 0), 'std values must be above 0'),
    /**
     * The picture is scaled, keeping its aspect ratio, to cover W x H and centre-cropped to
     * W x H; with `crop: center` the model's input size is then cut from its centre, with `none`
     * W x H must be the input size.
     */
    resize: z.tuple([Side, Side]),
    crop: z.enum(['center', 'none']),
  })
  .strict();
export type ModelInputContract = z.infer<typeof ModelInputContract>;

/** Class names: ImageNet's 1000 (reference synset order), or the model's own list. */
export const ModelLabels = z.union([
  z.literal('imagenet'),
  z.array(z.string().min(1).max(200)).min(2).max(100_000),
]);
export type ModelLabels = z.infer<typeof ModelLabels>;

export const ModelCard = z
  .object({
    /** What people call it ("SqueezeNet 1.1 (ONNX Model Zoo, opset 7)"). */
    title: z.string().min(1).max(200),
    input: ModelInputContract,
    /** Whether the graph's output is already softmax probabilities. */
    output: z.enum(['logits', 'probs']),
    labels: ModelLabels,
    /** Where the weights come from, their licence, and the original file's sha256. */
    source: z
      .object({
        catalogue: z.string().max(64).optional(),
        url: z.string().max(2000).optional(),
        license: z.string().max(200).optional(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        bytes: z.number().int().min(1),
      })
      .strict()
      .optional(),
    /** True for the zoo's built-in architectures: deterministic weights, no trained meaning. */
    untrained: z.boolean().optional(),
  })
  .strict();
export type ModelCard = z.infer<typeof ModelCard>;

/**
 * torchvision's and MXNet's convention (ResNet, VGG, MobileNetV2, SqueezeNet in the ONNX zoo, and
 * the built-in architectures): RGB scaled to 0-1, ImageNet mean and std, shorter side 256, centre
 * 224.
 */
export const TORCH_INPUT: ModelInputContract = {
  dtype: 'float32',
  layout: 'nchw',
  channels: 'rgb',
  range: '0-1',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: [256, 256],
  crop: 'center',
};

/** Caffe's (BVLC AlexNet, GoogLeNet): 0-255 with the mean subtracted, BGR, resized, no crop. */
export const CAFFE_INPUT: ModelInputContract = {
  dtype: 'float32',
  layout: 'nchw',
  channels: 'bgr',
  range: '0-255',
  mean: [123.68, 116.779, 103.939],
  std: [1, 1, 1],
  resize: [224, 224],
  crop: 'none',
};

/** A model that already takes the farm's frames: uint8 NHWC RGB pixels as they are. */
export const FRAME_INPUT: ModelInputContract = {
  dtype: 'uint8',
  layout: 'nhwc',
  channels: 'rgb',
  range: '0-255',
  mean: [0, 0, 0],
  std: [1, 1, 1],
  resize: [224, 224],
  crop: 'none',
};
