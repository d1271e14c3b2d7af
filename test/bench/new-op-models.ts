// Writes the full-size models the new-op profile bench runs (seeded weights, the exporters' own
// layouts): torchvision's MobileNetV2 as PyTorch exports it and ResNet50 v1 as MXNet does.
// Usage (bundled by test/bench/profiles-new-ops.mjs): node new-op-models.mjs OUT_DIR
import { join } from 'node:path';
import { saveModel } from '../../src-main/model/onnx';
import { MOBILENETV2_FULL, mobilenetV2Pytorch, resnet50Mxnet } from '../unit/model/zoo-exporters';

const out = process.argv[2];
if (!out) throw new Error('usage: new-op-models OUT_DIR');
saveModel(mobilenetV2Pytorch(MOBILENETV2_FULL), join(out, 'mobilenetv2.onnx'));
saveModel(resnet50Mxnet(), join(out, 'resnet50-v1.onnx'));
