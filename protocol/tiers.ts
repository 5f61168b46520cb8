export const TIERS = ['free', 'plus', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** Lease order: a higher number is leased first, so paid work runs ahead of free work. */
export const TIER_PRIORITY: Record<Tier, number> = { free: 0, plus: 1, pro: 2, enterprise: 3 };
