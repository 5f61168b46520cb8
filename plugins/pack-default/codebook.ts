/** An RGB colour, each channel in 0..1. */
export type Rgb = readonly [number, number, number];

/** Named colours a prompt can ask for; each is also a codebook entry, so it survives quantisation exactly. */
export const NAMED_COLOURS = {
  red: [0.9, 0.12, 0.12],
  orange: [1, 0.55, 0.05],
  yellow: [1, 0.88, 0.1],
  green: [0.15, 0.65, 0.2],
  blue: [0.1, 0.3, 0.9],
  purple: [0.55, 0.2, 0.75],
  pink: [1, 0.55, 0.7],
  brown: [0.55, 0.33, 0.15],
  cyan: [0.1, 0.85, 0.9],
  grey: [0.5, 0.5, 0.5],
  navy: [0.05, 0.1, 0.35],
  teal: [0, 0.5, 0.5],
  gold: [0.95, 0.75, 0.2],
  beige: [0.93, 0.87, 0.72],
  sky: [0.53, 0.81, 0.98],
  lime: [0.6, 0.9, 0.2],
} as const satisfies Record<string, Rgb>;

const PASTEL_WHITE: Rgb = [1, 0.98, 0.94];
const PASTEL_MIX = 0.55;

/**
 * The soft pastel variant of a colour: mostly a warm white, tinted by the colour.
 * Pastels of the named colours are codebook entries.
 */
export function pastel([r, g, b]: Rgb): Rgb {
  const keep = 1 - PASTEL_MIX;
  return [r * keep + PASTEL_WHITE[0] * PASTEL_MIX, g * keep + PASTEL_WHITE[1] * PASTEL_MIX, b * keep + PASTEL_WHITE[2] * PASTEL_MIX];
}

function buildCodebook(): Float32Array {
  const entries: Rgb[] = [];
  // A 6x6x6 cube covers the whole gamut evenly, black, white and primaries included.
  for (let r = 0; r < 6; r++) for (let g = 0; g < 6; g++) for (let b = 0; b < 6; b++) entries.push([r / 5, g / 5, b / 5]);
  const named = Object.values(NAMED_COLOURS);
  entries.push(...named, ...named.map(pastel));
  // Greys halfway between the cube's, since flat grey skies and shadows band badly otherwise.
  for (let i = 0; i < 8; i++) entries.push([(2 * i + 1) / 16, (2 * i + 1) / 16, (2 * i + 1) / 16]);
  // Snap to 8-bit levels: flat areas then decode to exact bytes instead of
  // values near x.5 that round either way on float noise.
  return Float32Array.from(entries.flat(), (v) => Math.round(v * 255) / 255);
}

/** The codebook as a flat `[CODEBOOK_SIZE, 3]` float32 table, the exact values the decoder graph embeds. */
export const CODEBOOK_RGB: Float32Array = buildCodebook();

/** How many tokens the codebook has. */
export const CODEBOOK_SIZE = CODEBOOK_RGB.length / 3;

/** The colour of `token`, as stored in the codebook. */
export function tokenColour(token: number): Rgb {
  const i = token * 3;
  return [CODEBOOK_RGB[i] ?? 0, CODEBOOK_RGB[i + 1] ?? 0, CODEBOOK_RGB[i + 2] ?? 0];
}

/** The token whose colour is nearest to (r, g, b) in RGB; ties go to the lowest index, so it is deterministic. */
export function nearestToken(r: number, g: number, b: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let t = 0; t < CODEBOOK_SIZE; t++) {
    const dr = (CODEBOOK_RGB[t * 3] ?? 0) - r;
    const dg = (CODEBOOK_RGB[t * 3 + 1] ?? 0) - g;
    const db = (CODEBOOK_RGB[t * 3 + 2] ?? 0) - b;
    const distance = dr * dr + dg * dg + db * db;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = t;
    }
  }
  return best;
}
