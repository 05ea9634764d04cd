// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AttentionTimeline from './AttentionTimeline.vue';

const attention = [0.05, 0.05, 0.3, 0.1, 0.05, 0.05, 0.2, 0.1, 0.05, 0.05];
const positive = [false, false, true, true, false, false, true, true, false, false];
const top = [2, 6, 3];

function timeline(current = 0) {
  const wrapper = mount(AttentionTimeline, { props: { attention, positive, top, current } });
  const svg = wrapper.get('svg');
  // happy-dom does no layout: give the bar a width of 500 px at x = 100
  (svg.element as Element).getBoundingClientRect = () => ({ left: 100, top: 0, width: 500, height: 84, right: 600, bottom: 84, x: 100, y: 0, toJSON: () => ({}) });
  return { wrapper, svg };
}

describe('AttentionTimeline', () => {
  it('draws a bar per slice, scaled to the highest weight, positives highlighted and top slices marked', () => {
    const { wrapper } = timeline();
    const bars = wrapper.findAll('rect.bar');
    expect(bars).toHaveLength(10);
    expect(Number(bars[2]!.attributes('height'))).toBeCloseTo(86);
    expect(Number(bars[6]!.attributes('height'))).toBeCloseTo(86 * (0.2 / 0.3));
    expect(wrapper.findAll('rect.bar.positive').map((b) => Number(b.attributes('data-slice')))).toEqual([2, 3, 6, 7]);
    expect(wrapper.findAll('rect.band')).toHaveLength(2);
    expect(wrapper.findAll('polygon.top').map((p) => Number(p.attributes('data-top'))).sort()).toEqual([2, 3, 6]);
  });

  it('shows the slice on screen', () => {
    const { wrapper } = timeline(7);
    expect(wrapper.get('rect.current').attributes('x')).toBe('7');
    expect(wrapper.text()).toContain('slice 8 of 10');
  });

  it('a click selects the slice under the pointer, and dragging keeps selecting', async () => {
    const { wrapper, svg } = timeline();
    await svg.trigger('pointerdown', { clientX: 100 + 0.35 * 500, pointerId: 1 });
    await svg.trigger('pointermove', { clientX: 100 + 0.95 * 500, pointerId: 1 });
    await svg.trigger('pointerup', { pointerId: 1 });
    await svg.trigger('pointermove', { clientX: 100 + 0.05 * 500, pointerId: 1 }); // not dragging any more
    expect(wrapper.emitted('select')).toEqual([[3], [9]]);
  });

  it('N and P jump between the foci', async () => {
    const { wrapper, svg } = timeline(3);
    await svg.trigger('keydown', { key: 'n' });
    await svg.trigger('keydown', { key: 'p' });
    await wrapper.setProps({ current: 6 });
    await svg.trigger('keydown', { key: 'n' });
    expect(wrapper.emitted('select')).toEqual([[6], [2], [2]]);
  });

  it('labels a sparse set by slice, without the inferior/superior axis of a volume', () => {
    const volume = mount(AttentionTimeline, { props: { attention, positive, top, current: 0 } });
    expect(volume.get('[data-testid="timeline-axis"]').text()).toMatch(/inferior.*superior/);
    const sparse = mount(AttentionTimeline, { props: { attention, positive, top, current: 0, sparse: true } });
    const axis = sparse.get('[data-testid="timeline-axis"]').text();
    expect(axis).toMatch(/separate sections, not a volume/);
    expect(axis).not.toMatch(/inferior|superior/);
  });
});

