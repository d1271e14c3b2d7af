// The trained classifiers the lab knows by their bytes: the ONNX Model Zoo's ImageNet models
// (sizes and sha256 from the zoo's LFS pointers, cross-checked against its hub manifest) and the
// float16 SqueezeNet the tests keep. A file whose sha256 is here takes its card by itself, however
// it reached the laptop; `mchair model get` fetches these by name.
import {
  CAFFE_INPUT,
  type ModelCard,
  type ModelInputContract,
  TORCH_INPUT,
} from '../contract/modelCard';

export interface CatalogueEntry {
  /** The library name it takes: the zoo's file name without `.onnx`. */
  readonly id: string;
  /** Path in the zoo's tree (under its repository root), the same on every mirror of the tree. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly opset: number;
  /** Input and output tensor names, as the zoo documents them. */
  readonly io: readonly [string, string];
  readonly card: ModelCard;
}

/** The zoo's tree root on its two public hosts, tried after the lab's own mirrors. */
export const ZOO_HOSTS = [
  'https://huggingface.co/onnxmodelzoo/legacy_models/resolve/main',
  'https://media.githubusercontent.com/media/onnx/models/main',
] as const;

const CLASSIFICATION = 'validated/vision/classification';

const ZOO_LICENSE = 'ONNX Model Zoo (onnx/models); see the model card there';

function zoo(
  id: string,
  folder: string,
  title: string,
  sums: { bytes: number; sha256: string; opset: number },
  io: readonly [string, string],
  input: ModelInputContract,
  output: ModelCard['output'],
): CatalogueEntry {
  const path = `${CLASSIFICATION}/${folder}/model/${id}.onnx`;
  return {
    id,
    path,
    io,
    ...sums,
    card: {
      title,
      input,
      output,
      labels: 'imagenet',
      source: {
        catalogue: id,
        url: `${ZOO_HOSTS[0]}/${path}`,
        license: ZOO_LICENSE,
        sha256: sums.sha256,
        bytes: sums.bytes,
      },
    },
  };
}

const sums = (bytes: number, sha256: string, opset: number) => ({ bytes, sha256, opset });

export const CATALOGUE: readonly CatalogueEntry[] = [
  zoo(
    'squeezenet1.1-7',
    'squeezenet',
    'SqueezeNet 1.1',
    sums(4956208, '1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088', 7),
    ['data', 'squeezenet0_flatten0_reshape0'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'mobilenetv2-12',
    'mobilenet',
    'MobileNetV2',
    sums(13964571, 'c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5', 12),
    ['input', 'output'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'mobilenetv2-12-int8',
    'mobilenet',
    'MobileNetV2 int8',
    sums(3655033, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f', 12),
    ['input', 'output'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'resnet50-v1-12',
    'resnet',
    'ResNet50 v1',
    sums(102576593, '3f03fdef724b22947eed826f1eef1dc5c34151bb4c37d634f1db89dfa2dd1526', 12),
    ['data', 'resnetv17_dense0_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'resnet50-v1-12-int8',
    'resnet',
    'ResNet50 v1 int8',
    sums(25816052, 'c234f30975989788b4405f25253275aae247ab6dbdd34aaa69ab0a59ff76f6d0', 12),
    ['data', 'resnetv17_dense0_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'resnet50-v2-7',
    'resnet',
    'ResNet50 v2',
    sums(102442452, '79102261eb6e5fd7af5d27f41316293e388c5cb691e5d25bfb035c4f64fefe31', 7),
    ['data', 'resnetv24_dense0_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'googlenet-12',
    'inception_and_googlenet/googlenet',
    'GoogLeNet',
    sums(28021836, 'c99c507058eaf41de8723408fdda7db8325cb57f0a89f2ee07a716d6e963e14e', 12),
    ['data_0', 'prob_1'],
    CAFFE_INPUT,
    'probs',
  ),
  zoo(
    'googlenet-12-int8',
    'inception_and_googlenet/googlenet',
    'GoogLeNet int8',
    sums(7122858, '282290386d7055c1b1e9692680621907991a87f9839391892b5cbe4da2e9871f', 12),
    ['data_0', 'prob_1'],
    CAFFE_INPUT,
    'probs',
  ),
  zoo(
    'bvlcalexnet-12',
    'alexnet',
    'AlexNet (BVLC)',
    sums(243863787, '6b0da9510f27f234ee96a85dc3809dd210150fdefad87f6850f9788513216945', 12),
    ['data_0', 'prob_1'],
    CAFFE_INPUT,
    'probs',
  ),
  zoo(
    'bvlcalexnet-12-int8',
    'alexnet',
    'AlexNet (BVLC) int8',
    sums(60984008, 'd53bbedf100be79277cf55d78c72bdcb67d88786988561bf5d530f038e443c7b', 12),
    ['data_0', 'prob_1'],
    CAFFE_INPUT,
    'probs',
  ),
  zoo(
    'vgg16-12',
    'vgg',
    'VGG16',
    sums(553437752, '722c42f53ca03a5480296bf8f9c85a151de3eed9ec982d7d2302ff6e2900c67b', 12),
    ['data', 'vgg0_dense2_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'vgg16-12-int8',
    'vgg',
    'VGG16 int8',
    sums(138407238, '0d0a8e1d69f70404421e37dbad4f8bd21d42758e9f426bd5b39e9e4e9e1afa23', 12),
    ['data', 'vgg0_dense2_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  zoo(
    'vgg16-bn-7',
    'vgg',
    'VGG16-BN',
    sums(553512191, '4fdceabf1ef715c9ed3020fa2eac1cb2a448296c086b03633c80cf47e1c5afce', 7),
    ['data', 'vgg0_dense2_fwd'],
    TORCH_INPUT,
    'logits',
  ),
  // Not on the zoo's hosts: Windows ML's float16 conversion, kept in the tests' fixtures.
  {
    id: 'squeezenet1.1-fp16',
    path: 'SharedContent/models/SqueezeNet_fp16.onnx',
    bytes: 2484091,
    sha256: '21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233',
    opset: 7,
    io: ['data_0', 'softmaxout_1'],
    card: {
      title: 'SqueezeNet 1.1 float16 (Windows ML)',
      input: {
        dtype: 'float16',
        layout: 'nchw',
        channels: 'bgr',
        range: '0-255',
        mean: [0, 0, 0],
        std: [1, 1, 1],
        resize: [224, 224],
        crop: 'none',
      },
      output: 'probs',
      labels: 'imagenet',
      source: {
        catalogue: 'squeezenet1.1-fp16',
        url: 'https://github.com/microsoft/Windows-Machine-Learning (SharedContent/models/SqueezeNet_fp16.onnx)',
        license: 'MIT',
        sha256: '21f25e3d9254af93e6218a359469fac714a017b3f9035c0f5c4acbf9a3ff7233',
        bytes: 2484091,
      },
    },
  },
];

/** Entries the zoo's hosts serve (`mchair model get` can fetch them). */
export function fetchable(entry: CatalogueEntry): boolean {
  return entry.path.startsWith(`${CLASSIFICATION}/`);
}

export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => e.id === id);
}

export function catalogueBySha256(sha256: string): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => e.sha256 === sha256.toLowerCase());
}
