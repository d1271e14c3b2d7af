// The Plan view's question (which model, on which devices, for what) and the planner's answer:
// its best plans and the paper's presets on the same farm.
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import {
  AppError,
  type PlanChoices,
  type PlanComparison,
  type PlanProgress,
} from '../../src-main/contract/index';
import type { Plan, PlanObjective } from '../../src-main/contract/plan';
import { api } from '../api/index';
import { errorSentence } from '../api/sentence';
import { BOARD_PROFILES, type BoardProfile } from '../boards';

export interface PlanOption {
  key: string;
  label: string;
  plan: Plan;
  /** For an alternative: how it differs from the best plan and why it ranks lower. */
  comparison: PlanComparison | null;
}

export const usePlanStore = defineStore('plan', () => {
  const model = ref('alexnet-mc');
  const farmKind = ref<'virtual' | 'inventory'>('virtual');
  // The paper's farm: six Raspberry Pi 3s.
  const counts = reactive<Record<BoardProfile, number>>(
    Object.fromEntries(BOARD_PROFILES.map((p) => [p, p === 'pi3' ? 6 : 0])) as Record<
      BoardProfile,
      number
    >,
  );
  const objective = ref<PlanObjective>('ips');
  const choices = shallowRef<PlanChoices | null>(null);
  const selectedKey = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** The search under way, after its last step (null before the first and once done). */
  const progress = shallowRef<PlanProgress | null>(null);
  const cancelling = ref(false);

  api.on('plan/progress', (p) => {
    if (loading.value) progress.value = p;
  });

  const spec = computed(() =>
    BOARD_PROFILES.filter((p) => counts[p] > 0)
      .map((p) => `${p}:${counts[p]}`)
      .join(','),
  );

  /** Every plan to compare: the planner's, best first, then the presets that fit this farm. */
  const options = computed<PlanOption[]>(() => {
    const c = choices.value;
    if (!c) return [];
    return [
      ...c.plans.map((plan, i) => ({
        key: `auto-${i}`,
        label: i === 0 ? 'Best plan' : `Alternative ${i}`,
        plan,
        comparison: i === 0 ? null : (c.comparisons[i - 1] ?? null),
      })),
      ...c.presets.flatMap((p) =>
        p.plan
          ? [{ key: p.id, label: `Paper preset ${p.id}`, plan: p.plan, comparison: null }]
          : [],
      ),
    ];
  });
  const selected = computed(
    () => options.value.find((o) => o.key === selectedKey.value) ?? options.value[0] ?? null,
  );

  async function make(): Promise<void> {
    loading.value = true;
    error.value = null;
    progress.value = null;
    cancelling.value = false;
    try {
      if (farmKind.value === 'virtual' && !spec.value)
        throw new AppError('BAD_INPUT', 'choose at least one device for the virtual farm');
      choices.value = await api.call('plan/make', {
        model: model.value,
        farm:
          farmKind.value === 'virtual'
            ? { kind: 'virtual', spec: spec.value }
            : { kind: 'inventory' },
        objective: objective.value,
        top: 3,
      });
      selectedKey.value = 'auto-0';
    } catch (err) {
      choices.value = null;
      error.value = errorSentence(err);
    } finally {
      loading.value = false;
      progress.value = null;
    }
  }

  /** Stops the search under way; make() then ends with the core's PLAN_CANCELLED sentence. */
  async function cancel(): Promise<void> {
    cancelling.value = true;
    try {
      await api.call('plan/cancel', {});
    } catch (err) {
      error.value = errorSentence(err);
    }
  }

  return {
    model,
    farmKind,
    counts,
    objective,
    choices,
    selectedKey,
    loading,
    error,
    progress,
    cancelling,
    spec,
    options,
    selected,
    make,
    cancel,
  };
});
