// @vitest-environment happy-dom
// The Farm view's Power cell: a board's rails summed (each rail on hover) and its own plug beside
// them, a dash for a board with neither, and the reason when the plug cannot be read.
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { BoardReadings } from '../../../src-main/contract/index';
import ReadingsCells from '../../../src-renderer/components/ReadingsCells.vue';

const tx2: BoardReadings = {
  cpuPercent: 12.5,
  memoryBytes: 300 * 2 ** 20,
  availableBytes: null,
  temperatureC: 41,
  powerW: 4.25,
  rails: [
    { name: 'VDD_IN', w: 3 },
    { name: 'VDD_CPU', w: 1.25 },
  ],
  emulated: false,
};

/** The cells in a row of a table, as the Farm view puts them. */
function power(props: InstanceType<typeof ReadingsCells>['$props']) {
  const row = mount(
    {
      components: { ReadingsCells },
      props: ['p'],
      template: '<table><tr><ReadingsCells v-bind="p" /></tr></table>',
    },
    { props: { p: props } },
  );
  return row.find('[data-test="power"]');
}

describe('ReadingsCells power', () => {
  it("shows the rails' sum with each rail on hover, and the board's plug beside it", () => {
    const cell = power({ readings: tx2, plug: { meter: 'tx2 plug', w: 6.5, error: null } });
    expect(cell.find('[data-test="rails"]').text()).toBe('4.25 W rails');
    expect(cell.find('[data-test="rails"]').attributes('title')).toBe(
      'VDD_IN 3.00 W, VDD_CPU 1.25 W',
    );
    expect(cell.find('[data-test="plug"]').text()).toBe('6.50 W at tx2 plug');
  });

  it('shows a plug alone on a board without rails or answers, with the reason when unread', () => {
    const cell = power({
      readings: null,
      why: 'not provisioned from this lab yet',
      plug: { meter: 'pi plug', w: null, error: 'no reading in 3 s' },
    });
    expect(cell.find('[data-test="rails"]').exists()).toBe(false);
    expect(cell.find('[data-test="plug"]').text()).toBe('– at pi plug');
    expect(cell.find('[data-test="plug"]').attributes('title')).toBe('no reading in 3 s');
    expect(power({ readings: { ...tx2, powerW: null, rails: [] } }).text()).toBe('–');
  });
});
