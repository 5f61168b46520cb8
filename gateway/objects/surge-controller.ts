import type { SurgeControllerSettings } from '../config.js';
import type { FleetLoad } from '../fleet.js';

/** Who holds surge: the controller (`auto`), or an admin who pinned it `on` or `off`. */
export type SurgeMode = 'auto' | 'on' | 'off';
export const SURGE_MODES: readonly SurgeMode[] = ['auto', 'on', 'off'];

export interface SurgeChangeReason {
  metric: 'paid_wait_ms' | 'free_backlog' | 'calm_ms';
  value: number;
  threshold: number;
  reason: string;
}

export interface SurgeDecision {
  engaged: boolean;
  /** Since when both measures have stayed below their release levels while engaged; null otherwise. */
  calmSince: number | null;
  change: SurgeChangeReason | null;
}

/**
 * One step of the controller. It engages as soon as a measure reaches its
 * threshold, and lets go only after both have stayed below `releaseRatio` of
 * theirs for `calmMs`: the gap between the two levels and the calm period
 * are what keep it from flapping around a threshold.
 */
export function decideSurge(engaged: boolean, calmSince: number | null, load: FleetLoad, settings: SurgeControllerSettings, now: number): SurgeDecision {
  if (!engaged) {
    if (load.paidWaitMs >= settings.paidWaitMs) {
      return { engaged: true, calmSince: null, change: { metric: 'paid_wait_ms', value: load.paidWaitMs, threshold: settings.paidWaitMs, reason: `a paid job has waited ${Math.round(load.paidWaitMs)} ms (threshold ${settings.paidWaitMs} ms)` } };
    }
    if (load.freeBacklog >= settings.freeBacklog) {
      return { engaged: true, calmSince: null, change: { metric: 'free_backlog', value: load.freeBacklog, threshold: settings.freeBacklog, reason: `${load.freeBacklog} free jobs are queued (threshold ${settings.freeBacklog})` } };
    }
    return { engaged: false, calmSince: null, change: null };
  }
  const calm = load.paidWaitMs < settings.paidWaitMs * settings.releaseRatio && load.freeBacklog < settings.freeBacklog * settings.releaseRatio;
  if (!calm) return { engaged: true, calmSince: null, change: null };
  const since = calmSince ?? now;
  if (now - since < settings.calmMs) return { engaged: true, calmSince: since, change: null };
  return {
    engaged: false,
    calmSince: null,
    change: {
      metric: 'calm_ms',
      value: now - since,
      threshold: settings.calmMs,
      reason: `calm for ${now - since} ms: paid wait ${Math.round(load.paidWaitMs)} ms, ${load.freeBacklog} free jobs queued (release below ${settings.releaseRatio} of the thresholds)`,
    },
  };
}
