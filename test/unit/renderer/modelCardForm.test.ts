// @vitest-environment happy-dom
// The Import dialog's card form: nothing is taken by default, a preset fills a whole card, the
// user's edits and a labels file make the card the core receives.
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { CAFFE_INPUT, type ModelCard } from '../../../src-main/contract/modelCard';
import ModelCardForm from '../../../src-renderer/components/ModelCardForm.vue';

const last = (w: ReturnType<typeof mount>): ModelCard | string =>
  (w.emitted('change') as Array<[ModelCard | string]>).at(-1)![0];

describe('ModelCardForm', () => {
  it('asks for mean, std and resize until a preset or the user gives them', async () => {
    const w = mount(ModelCardForm, { props: { title: 'my-cnn' } });
    await nextTick();
    expect(last(w)).toBe('Mean: give three numbers R,G,B separated by commas');

    const caffe = w.findAll('button').find((b) => b.text() === 'Caffe')!;
    await caffe.trigger('click');
    await nextTick();
    expect(last(w)).toEqual({
      title: 'my-cnn',
      input: CAFFE_INPUT,
      output: 'probs',
      labels: 'imagenet',
    });

    await w.find('#card-std').setValue('58.4, 57.1,57.4');
    await w.find('#card-resize').setValue('227');
    expect(last(w)).toBe('Resize: give width and height as W,H (e.g. 224,224)');
    await w.find('#card-resize').setValue('227,227');
    await w.find('#card-layout').setValue('nhwc');
    const card = last(w) as ModelCard;
    expect(card.input).toMatchObject({
      std: [58.4, 57.1, 57.4],
      resize: [227, 227],
      layout: 'nhwc',
    });
  });

  it('takes its labels from a text file, one class a line', async () => {
    const w = mount(ModelCardForm, { props: { title: 'flowers' } });
    await w
      .findAll('button')
      .find((b) => b.text() === 'torchvision/MXNet')!
      .trigger('click');
    await w.find('#card-labels').setValue('file');
    expect(last(w)).toBe('Labels: choose the labels file');
    const input = w.find('#card-labels-file');
    const file = new File(['daisy\r\ndandelion\n\nrose\n'], 'flowers.txt', { type: 'text/plain' });
    Object.defineProperty(input.element, 'files', { value: [file] });
    await input.trigger('change');
    await new Promise((r) => setTimeout(r, 20));
    await nextTick();
    expect((last(w) as ModelCard).labels).toEqual(['daisy', 'dandelion', 'rose']);
    expect(w.text()).toContain('3 classes from flowers.txt');
  });
});
