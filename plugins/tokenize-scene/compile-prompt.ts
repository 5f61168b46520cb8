import { NAMED_COLOURS, pastel, type Rgb } from '../pack-default/index.js';
import { seededRandom } from '../sdk/index.js';

/** Shapes the rasterizer can draw. Unknown nouns map onto one of the simple ones. */
export type ShapeKind =
  | 'circle'
  | 'square'
  | 'triangle'
  | 'star'
  | 'heart'
  | 'diamond'
  | 'sun'
  | 'moon'
  | 'tree'
  | 'house'
  | 'cat'
  | 'flower'
  | 'cloud';

/** A palette transform applied to every colour of the scene. */
export type Style = 'plain' | 'pastel' | 'ghibli' | 'dark' | 'neon' | 'mono';

/** One drawn object, in normalised image coordinates (0..1 across width and height). */
export interface SceneObject {
  /** The word of the prompt that produced it, singular. */
  readonly noun: string;
  readonly shape: ShapeKind;
  /** The main colour, after the style. */
  readonly colour: Rgb;
  /** Secondary parts (trunk, roof, eyes, flower centre), after the style. */
  readonly accent: Rgb;
  /** Centre. */
  readonly x: number;
  readonly y: number;
  /** Diameter as a fraction of the image's shorter side. */
  readonly size: number;
  /** The outline read from an uploaded image, drawn instead of `shape`'s. */
  readonly trace?: Trace;
}

/**
 * An object's outline as read from an uploaded image (see `sceneOfImage`):
 * a bitmap over its bounding box, `w x h` (fractions of the image's width and
 * height) when drawn at diameter `size`; another diameter scales it.
 */
export interface Trace {
  readonly w: number;
  readonly h: number;
  readonly size: number;
  readonly cols: number;
  readonly rows: number;
  /** `rows x cols` bits, row-major, most significant bit first, base64. */
  readonly bits: string;
}

/** Top colour, bottom colour, and where the hard horizon between them is (none: a vertical gradient). */
export interface Background {
  readonly top: Rgb;
  readonly bottom: Rgb;
  readonly horizon: number | undefined;
}

export interface Scene {
  readonly style: Style;
  readonly background: Background;
  /** Painted in order, later over earlier. */
  readonly objects: readonly SceneObject[];
}

const C = NAMED_COLOURS;
const WHITE: Rgb = [1, 1, 1];
const BLACK: Rgb = [0, 0, 0];
const LIGHT_GREY: Rgb = [0.9375, 0.9375, 0.9375];

// "sky" alone names the background; the colour is spelled "sky blue".
const { sky: skyBlue, ...PLAIN_NAMED_COLOURS } = NAMED_COLOURS;
const COLOUR_WORDS: Readonly<Record<string, Rgb>> = {
  ...PLAIN_NAMED_COLOURS,
  skyblue: skyBlue,
  white: WHITE,
  black: BLACK,
  magenta: [1, 0, 1],
  gray: C.grey,
  violet: C.purple,
  crimson: C.red,
  scarlet: C.red,
  turquoise: C.cyan,
  aqua: C.cyan,
  azure: C.sky,
  indigo: C.navy,
  golden: C.gold,
  tan: C.beige,
  cream: C.beige,
};

const SHADE_WORDS = new Set(['dark', 'deep', 'light', 'pale']);

const SHAPE_WORDS: Readonly<Record<string, ShapeKind>> = {
  circle: 'circle',
  ball: 'circle',
  dot: 'circle',
  orb: 'circle',
  sphere: 'circle',
  balloon: 'circle',
  square: 'square',
  box: 'square',
  cube: 'square',
  block: 'square',
  rectangle: 'square',
  triangle: 'triangle',
  pyramid: 'triangle',
  mountain: 'triangle',
  star: 'star',
  heart: 'heart',
  diamond: 'diamond',
  gem: 'diamond',
  sun: 'sun',
  moon: 'moon',
  tree: 'tree',
  house: 'house',
  home: 'house',
  cottage: 'house',
  cabin: 'house',
  cat: 'cat',
  kitten: 'cat',
  flower: 'flower',
  rose: 'flower',
  cloud: 'cloud',
};

const COUNT_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  pair: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  few: 3,
  several: 4,
  many: 6,
};
const MAX_COUNT = 12;
const PLURAL_DEFAULT_COUNT = 3;

const SIZE_WORDS: Readonly<Record<string, number>> = {
  tiny: 0.12,
  small: 0.2,
  little: 0.2,
  medium: 0.3,
  large: 0.45,
  big: 0.45,
  huge: 0.6,
  giant: 0.6,
  enormous: 0.6,
};

const STYLE_WORDS: Readonly<Record<string, Style>> = {
  pastel: 'pastel',
  soft: 'pastel',
  ghibli: 'ghibli',
  anime: 'ghibli',
  watercolor: 'ghibli',
  watercolour: 'ghibli',
  dark: 'dark',
  night: 'dark',
  gloomy: 'dark',
  moody: 'dark',
  neon: 'neon',
  cyberpunk: 'neon',
  vibrant: 'neon',
  glowing: 'neon',
  monochrome: 'mono',
  grayscale: 'mono',
  greyscale: 'mono',
  noir: 'mono',
};

type BackgroundPart = 'flat' | 'sky' | 'ground';
const BACKGROUND_WORDS: Readonly<Record<string, { part: BackgroundPart; colour: Rgb | undefined }>> = {
  background: { part: 'flat', colour: undefined },
  backdrop: { part: 'flat', colour: undefined },
  wall: { part: 'flat', colour: undefined },
  sky: { part: 'sky', colour: undefined },
  sea: { part: 'ground', colour: C.blue },
  ocean: { part: 'ground', colour: C.blue },
  water: { part: 'ground', colour: C.blue },
  lake: { part: 'ground', colour: C.blue },
  grass: { part: 'ground', colour: C.green },
  field: { part: 'ground', colour: C.green },
  meadow: { part: 'ground', colour: C.green },
  hill: { part: 'ground', colour: C.green },
  hills: { part: 'ground', colour: C.green },
  sand: { part: 'ground', colour: C.beige },
  beach: { part: 'ground', colour: C.beige },
  desert: { part: 'ground', colour: C.beige },
  snow: { part: 'ground', colour: WHITE },
};
const HORIZON = 0.65;

// Words that separate noun phrases; an unknown word pending before one becomes an object.
const BOUNDARY_WORDS = new Set([',', 'and', 'with', 'of', 'on', 'in', 'at', 'near', 'beside', 'next', 'under', 'above', 'below', 'over', 'behind', 'by']);
// Words that never name an object, so they must not become one.
const IGNORED_WORDS = new Set([
  'the', 'some', 'my', 'its', 'is', 'are', 'very', 'corner', 'side', 'style', 'colored', 'coloured', 'painting', 'picture', 'photo',
  'image', 'illustration', 'drawing', 'render', 'scene', 'view', 'art', 'artwork', 'sketch', 'shaped', 'shape', 'shapes', 'to',
]);

interface Position {
  x?: number;
  y?: number;
}
const POSITION_WORDS: Readonly<Record<string, Position>> = {
  left: { x: 0.25 },
  right: { x: 0.75 },
  top: { y: 0.25 },
  upper: { y: 0.25 },
  bottom: { y: 0.75 },
  lower: { y: 0.75 },
  center: { x: 0.5, y: 0.5 },
  centre: { x: 0.5, y: 0.5 },
  middle: { x: 0.5, y: 0.5 },
};

/** Where an object with no position words goes, and its colour when none is named. */
const SHAPE_DEFAULTS: Readonly<Partial<Record<ShapeKind, { colour: Rgb; accent?: Rgb; at?: Position }>>> = {
  sun: { colour: C.yellow, at: { x: 0.8, y: 0.2 } },
  moon: { colour: pastel(C.yellow), at: { x: 0.2, y: 0.2 } },
  cloud: { colour: WHITE, at: { y: 0.2 } },
  star: { colour: C.yellow },
  heart: { colour: C.red },
  tree: { colour: C.green, accent: C.brown },
  house: { colour: C.red, accent: C.brown },
  cat: { colour: C.orange, accent: C.navy },
  flower: { colour: C.pink, accent: C.yellow },
};
const ROTATING_COLOURS: readonly Rgb[] = [C.red, C.blue, C.green, C.yellow, C.purple, C.orange, C.pink, C.cyan];
const FALLBACK_SHAPES: readonly ShapeKind[] = ['circle', 'square', 'triangle', 'diamond', 'star'];

const MAX_DEFAULT_SIZE = 0.4;
const SPACING = 1.3;
const JITTER = 0.02;

interface Modifiers {
  count?: number;
  size?: number;
  colour?: Rgb;
  position: Position;
}

interface Group extends Modifiers {
  noun: string;
  shape: ShapeKind;
  count: number;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function words(prompt: string): string[] {
  return prompt
    .toLowerCase()
    .replace(/sky[\s-]+blue/g, 'skyblue')
    .replace(/[,;.!?]/g, ' , ')
    .split(/[^a-z0-9,]+/)
    .filter((w) => w.length > 0);
}

/** The singular form of `word` if it is in `vocabulary`, and whether it was plural. */
function lookupNoun<T>(word: string, vocabulary: Readonly<Record<string, T>>): { noun: string; value: T; plural: boolean } | undefined {
  const exact = vocabulary[word];
  if (exact !== undefined) return { noun: word, value: exact, plural: false };
  for (const noun of [word.replace(/ies$/, 'y'), word.replace(/es$/, ''), word.replace(/s$/, '')]) {
    const value = vocabulary[noun];
    if (noun !== word && value !== undefined) return { noun, value, plural: true };
  }
  return undefined;
}

/** A colour made darker (`dark`, `deep`) or lighter (`light`, `pale`, the pastel). */
export function shade(colour: Rgb, word: string): Rgb {
  return word === 'light' || word === 'pale' ? pastel(colour) : [colour[0] * 0.55, colour[1] * 0.55, colour[2] * 0.55];
}

/** A colour as `style` paints it. */
export function applyStyle(style: Style, [r, g, b]: Rgb): Rgb {
  switch (style) {
    case 'plain':
      return [r, g, b];
    case 'pastel':
    case 'ghibli':
      return pastel([r, g, b]);
    case 'dark':
      return [r * 0.5, g * 0.5, b * 0.5];
    case 'neon': {
      const mean = (r + g + b) / 3;
      const push = (v: number) => Math.min(1, Math.max(0, mean + (v - mean) * 1.8));
      const pushed: Rgb = [push(r), push(g), push(b)];
      const peak = Math.max(...pushed);
      return peak > 0 ? [pushed[0] / peak, pushed[1] / peak, pushed[2] / peak] : pushed;
    }
    case 'mono': {
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      return [luma, luma, luma];
    }
  }
}

const STYLE_BACKGROUND: Readonly<Record<Style, { sky: Rgb; ground: Rgb | undefined }>> = {
  plain: { sky: LIGHT_GREY, ground: undefined },
  pastel: { sky: LIGHT_GREY, ground: undefined },
  mono: { sky: LIGHT_GREY, ground: undefined },
  ghibli: { sky: C.sky, ground: C.green },
  dark: { sky: C.navy, ground: undefined },
  neon: { sky: BLACK, ground: undefined },
};

function hasModifiers(m: Modifiers): boolean {
  return m.count !== undefined || m.size !== undefined || m.colour !== undefined;
}

/** An object the prompt asks for, before layout and style: one noun phrase. */
export interface ObjectRequest {
  /** The noun, singular. */
  readonly noun: string;
  readonly shape: ShapeKind;
  readonly count: number;
  /** Diameter from a size word; absent: the layout sizes it to its slot. */
  readonly size?: number;
  /** Colour named in the prompt, before the style; absent: the shape's default. */
  readonly colour?: Rgb;
  /** From position words (0.25, 0.5 or 0.75); an absent axis is left to the layout. */
  readonly position: { readonly x?: number; readonly y?: number };
  /** The outline of an object read from an upload (one copy); the prompt never sets it. */
  readonly trace?: Trace;
}

/** The background words of a prompt, before the style. */
export interface BackgroundRequest {
  /** `on a X background`: one flat colour, which wins over sky and ground. */
  readonly flat?: Rgb;
  /** The sky's colour, when one was named (`pink sky`). */
  readonly sky?: Rgb;
  /** Whether the prompt mentions a sky at all (`a sky` is a day sky). */
  readonly skyMentioned: boolean;
  /** A ground below the horizon (`grass`, `sea`). */
  readonly ground?: Rgb;
}

/** What a prompt asks for: {@link parsePrompt}'s reading, which {@link layoutScene} turns into a {@link Scene}. */
export interface SceneRequest {
  readonly style: Style;
  readonly background: BackgroundRequest;
  readonly objects: readonly ObjectRequest[];
}

/** Where one drawn copy of an object went: centre and diameter, as in {@link SceneObject}. */
export interface Placement {
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

/**
 * Reads what a prompt asks for: objects with colour, size, count and
 * position words, background words, and a style. No layout happens here.
 */
export function parsePrompt(prompt: string): SceneRequest {
  const tokens = words(prompt);
  const groups: Group[] = [];
  let style: Style = 'plain';
  let flat: Rgb | undefined;
  let sky: Rgb | undefined;
  let skyMentioned = false;
  let ground: Rgb | undefined;
  let pending: Modifiers = { position: {} };
  let unknown: { noun: string; plural: boolean } | undefined;
  let firstUnknown: string | undefined;
  let last: Group | undefined;
  let shadeWord: string | undefined;

  const addGroup = (noun: string, shape: ShapeKind, plural: boolean) => {
    const count = pending.count ?? (plural ? PLURAL_DEFAULT_COUNT : 1);
    last = { ...pending, noun, shape, count, position: { ...pending.position } };
    groups.push(last);
    pending = { position: {} };
    unknown = undefined;
  };
  // An unknown word counts as a noun only if an article, count, size or colour introduced it.
  const flushUnknown = () => {
    if (unknown && hasModifiers(pending)) {
      addGroup(unknown.noun, FALLBACK_SHAPES[fnv1a(unknown.noun) % FALLBACK_SHAPES.length] ?? 'circle', unknown.plural);
    }
    unknown = undefined;
  };

  for (const [i, word] of tokens.entries()) {
    const next = tokens[i + 1];
    const shapeHit = lookupNoun(word, SHAPE_WORDS);
    const backgroundHit = BACKGROUND_WORDS[word];
    if (BOUNDARY_WORDS.has(word)) {
      flushUnknown();
    } else if (SHADE_WORDS.has(word) && next !== undefined && COLOUR_WORDS[next] !== undefined) {
      shadeWord = word;
    } else if (COLOUR_WORDS[word] !== undefined) {
      pending.colour = shadeWord ? shade(COLOUR_WORDS[word], shadeWord) : COLOUR_WORDS[word];
      shadeWord = undefined;
    } else if (STYLE_WORDS[word] !== undefined) {
      style = STYLE_WORDS[word];
    } else if (COUNT_WORDS[word] !== undefined || /^\d+$/.test(word)) {
      pending.count = Math.min(MAX_COUNT, Math.max(1, COUNT_WORDS[word] ?? Number(word)));
    } else if (SIZE_WORDS[word] !== undefined) {
      pending.size = SIZE_WORDS[word];
    } else if (POSITION_WORDS[word] !== undefined) {
      // "a circle on the left": a position after a noun phrase belongs to it.
      const target = last && !hasModifiers(pending) && !unknown ? last.position : pending.position;
      Object.assign(target, POSITION_WORDS[word]);
    } else if (backgroundHit) {
      const colour = pending.colour ?? backgroundHit.colour;
      if (backgroundHit.part === 'flat') flat = colour;
      else if (backgroundHit.part === 'sky') {
        sky = colour;
        skyMentioned = true;
      }
      else ground = colour;
      pending = { position: {} };
      unknown = undefined;
    } else if (shapeHit) {
      addGroup(shapeHit.noun, shapeHit.value, shapeHit.plural);
    } else if (!IGNORED_WORDS.has(word)) {
      const plural = word.length > 3 && word.endsWith('s') && !word.endsWith('ss');
      unknown = { noun: plural ? word.slice(0, -1) : word, plural };
      firstUnknown ??= unknown.noun;
    }
  }
  flushUnknown();
  if (groups.length === 0 && firstUnknown !== undefined && flat === undefined && !skyMentioned && ground === undefined) {
    // A prompt that names only something we do not know ("dragon") still draws something.
    pending = { position: {} };
    addGroup(firstUnknown, FALLBACK_SHAPES[fnv1a(firstUnknown) % FALLBACK_SHAPES.length] ?? 'circle', false);
  }

  return { style, background: { flat, sky, skyMentioned, ground }, objects: groups };
}

/**
 * Lays out a parsed prompt: places and sizes every object, jittered by
 * `seed` (see {@link layoutSeed}), and applies the style to every colour.
 *
 * `pinned[i]`, when given, holds one placement per copy of object `i`, used
 * instead of the computed ones; the jitter sequence and the slots of the
 * other objects stay exactly what they would be without it. Edits use this to
 * keep objects where an earlier image drew them.
 */
export function layoutScene(request: SceneRequest, seed: number, pinned: readonly (readonly Placement[] | undefined)[] = []): Scene {
  const { style } = request;
  const { flat, sky, skyMentioned, ground } = request.background;
  const styled = (colour: Rgb) => applyStyle(style, colour);
  const defaults = STYLE_BACKGROUND[style];
  // A sky with no colour is blue by day; dark and neon styles keep their night sky.
  const daySky = style === 'dark' || style === 'neon' ? defaults.sky : C.sky;
  const skyColour = sky ?? (skyMentioned ? daySky : (flat ?? defaults.sky));
  const groundColour = flat !== undefined ? undefined : (ground ?? defaults.ground);
  const background: Background =
    flat !== undefined
      ? { top: styled(flat), bottom: styled(flat), horizon: undefined }
      : groundColour !== undefined
        ? { top: styled(skyColour), bottom: styled(groundColour), horizon: HORIZON }
        : { top: styled(skyColour), bottom: styled(skyMentioned ? pastel(skyColour) : skyColour), horizon: undefined };

  return { style, background, objects: layout(request.objects, seed, styled, pinned) };
}

/**
 * Parses a prompt into a scene: objects with colour, position, size and count,
 * a background, and a style palette. The same prompt and seed always give the
 * same scene; the seed only jitters positions slightly.
 */
export function compilePrompt(prompt: string, seed: number): Scene {
  return layoutScene(parsePrompt(prompt), layoutSeed(prompt, seed));
}

/** The layout seed {@link compilePrompt} uses for `prompt` at `seed`. */
export function layoutSeed(prompt: string, seed: number): number {
  return seed ^ fnv1a(prompt);
}

const sameRgb = (a: Rgb, b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
const spell = (word: string) => (word === 'skyblue' ? 'sky blue' : word);

/** The words for a colour: a colour word or a shade of one, else the nearest colour word. */
export function colourPhrase(colour: Rgb): string {
  const entries = Object.entries(COLOUR_WORDS);
  for (const [word, value] of entries) if (sameRgb(value, colour)) return spell(word);
  for (const shadeWord of ['dark', 'light']) {
    for (const [word, value] of entries) if (sameRgb(shade(value, shadeWord), colour)) return `${shadeWord} ${spell(word)}`;
  }
  const distance = (value: Rgb) => (value[0] - colour[0]) ** 2 + (value[1] - colour[1]) ** 2 + (value[2] - colour[2]) ** 2;
  const [nearest] = entries.reduce((best, entry) => (distance(entry[1]) < distance(best[1]) ? entry : best));
  return spell(nearest);
}

/** "a" or "an" before `word`; the parser reads both as one. */
const article = (word: string) => (/^(?:[aeio]|u(?!ni))/.test(word) ? 'an' : 'a');

function nearestWord(value: number, vocabulary: Readonly<Record<string, number>>): string {
  const entries = Object.entries(vocabulary);
  return entries.reduce((best, entry) => (Math.abs(entry[1] - value) < Math.abs(best[1] - value) ? entry : best))[0];
}

function positionPhrase({ x, y }: { readonly x?: number; readonly y?: number }): string | undefined {
  // "center" sets both axes, so it goes first and the other words correct it.
  const parts: string[] = [];
  if (x === 0.5 || y === 0.5) parts.push('center');
  if (y !== undefined && y !== 0.5) parts.push(y < 0.5 ? 'top' : 'bottom');
  if (x !== undefined && x !== 0.5) parts.push(x < 0.5 ? 'left' : 'right');
  return parts.length > 0 ? `at the ${parts.join(' ')}` : undefined;
}

function objectPhrase(object: ObjectRequest): string {
  const known = SHAPE_WORDS[object.noun] !== undefined;
  const plural = object.noun.match(/(s|x|ch|sh)$/) ? `${object.noun}es` : `${object.noun}s`;
  const words: string[] = [];
  if (object.size !== undefined) words.push(nearestWord(object.size, SIZE_WORDS));
  if (object.colour !== undefined) words.push(colourPhrase(object.colour));
  // Unknown nouns stay singular: the parser only strips a plain "s" from them, and the count is a digit anyway.
  words.push(object.count > 1 && known ? plural : object.noun);
  const count = object.count === 1 ? article(words[0] ?? '') : String(object.count);
  const at = positionPhrase(object.position);
  return [count, ...words, ...(at ? [at] : [])].join(' ');
}

const GROUND_PHRASES: readonly (readonly [string, Rgb])[] = [
  ['on grass', C.green],
  ['by the sea', C.blue],
  ['on sand', C.beige],
  ['on snow', WHITE],
];

const STYLE_PHRASES: Readonly<Record<Style, string | undefined>> = {
  plain: undefined,
  pastel: 'pastel style',
  ghibli: 'ghibli style',
  // Not "dark": before a colour word that is a shade.
  dark: 'night style',
  neon: 'neon style',
  mono: 'monochrome style',
};

/**
 * Writes a request back as a prompt that {@link parsePrompt} reads as the
 * same request, e.g. `a green circle and a yellow star at the top left on a
 * white background`. Exact for every request parsePrompt makes, except an
 * object centred horizontally with no vertical position, which comes back
 * centred on both axes.
 */
export function describeRequest(request: SceneRequest): string {
  const phrases = [request.objects.map(objectPhrase).join(' and ')];
  const { flat, sky, skyMentioned, ground } = request.background;
  if (flat !== undefined) phrases.push(`on ${article(colourPhrase(flat))} ${colourPhrase(flat)} background`);
  if (skyMentioned) phrases.push(sky === undefined ? 'under a sky' : `under ${article(colourPhrase(sky))} ${colourPhrase(sky)} sky`);
  if (ground !== undefined) phrases.push(GROUND_PHRASES.find(([, colour]) => sameRgb(colour, ground))?.[0] ?? `on ${colourPhrase(ground)} grass`);
  const text = phrases.filter((phrase) => phrase.length > 0).join(' ');
  const style = STYLE_PHRASES[request.style];
  return style === undefined ? text : text.length > 0 ? `${text}, ${style}` : style;
}

/** The words of a prompt as the parser sees them: lower case, "sky blue" joined, punctuation as ",". */
export const promptWords = words;

/** The shape a word names (singular or plural), if any. */
export function lookupShape(word: string): { noun: string; shape: ShapeKind; plural: boolean } | undefined {
  const hit = lookupNoun(word, SHAPE_WORDS);
  return hit && { noun: hit.noun, shape: hit.value, plural: hit.plural };
}

/** The colour named at `words[index]` (a colour word, or a shade word and a colour word), and how many words it took. */
export function readColour(words: readonly string[], index: number): { colour: Rgb; length: number } | undefined {
  const [first, second] = [words[index], words[index + 1]];
  if (first === undefined) return undefined;
  const plain = COLOUR_WORDS[first];
  if (plain !== undefined) return { colour: plain, length: 1 };
  const shaded = second === undefined ? undefined : COLOUR_WORDS[second];
  return SHADE_WORDS.has(first) && shaded !== undefined ? { colour: shade(shaded, first), length: 2 } : undefined;
}

/** Word lists an edit instruction is read with; the same the prompt parser uses. */
export const VOCABULARY = {
  sizes: SIZE_WORDS,
  styles: STYLE_WORDS,
  positions: POSITION_WORDS as Readonly<Record<string, { readonly x?: number; readonly y?: number }>>,
} as const;

function layout(groups: readonly ObjectRequest[], seed: number, styled: (c: Rgb) => Rgb, pinned: readonly (readonly Placement[] | undefined)[]): SceneObject[] {
  const random = seededRandom(seed);
  const jitter = () => (random() * 2 - 1) * JITTER;
  const placed = groups.map((g): Position => {
    const fallback = SHAPE_DEFAULTS[g.shape]?.at;
    return { x: g.position.x ?? fallback?.x, y: g.position.y ?? fallback?.y };
  });
  // Objects with no horizontal position share the width in prompt order.
  const free = placed.filter((p) => p.x === undefined).length;
  let freeIndex = 0;
  const objects: SceneObject[] = [];
  groups.forEach((group, index) => {
    const place = placed[index] ?? {};
    const slotWidth = place.x === undefined ? 1 / free : place.x === 0.5 ? 1 : 0.5;
    const cx = place.x ?? (freeIndex++ + 0.5) / free;
    const cy = place.y ?? (group.shape === 'tree' || group.shape === 'house' ? 0.55 : 0.5);
    const count = group.count ?? 1;
    const cols = count <= 4 ? count : Math.ceil(Math.sqrt(count));
    const rows = Math.ceil(count / cols);
    const size = group.size ?? Math.min(MAX_DEFAULT_SIZE, slotWidth / (cols * SPACING), 0.9 / (rows * SPACING));
    const defaults = SHAPE_DEFAULTS[group.shape];
    const colour = group.colour ?? defaults?.colour ?? ROTATING_COLOURS[index % ROTATING_COLOURS.length] ?? C.red;
    const accent = defaults?.accent ?? colour;
    // An explicit size ("small", "large") must not push a row of copies out of its slot or off the canvas.
    const stepX = Math.min(size * SPACING, slotWidth / cols);
    const stepY = Math.min(size * SPACING, 0.9 / rows);
    const inside = (centre: number) => Math.min(1 - size / 2, Math.max(size / 2, centre));
    const pins = pinned[index];
    if (pins !== undefined && pins.length !== count) {
      throw new RangeError(`object ${index} (${group.noun}) has ${count} copies but ${pins.length} pinned placements`);
    }
    for (let k = 0; k < count; k++) {
      const col = k % cols;
      const row = Math.floor(k / cols);
      // Draw the jitter even for a pinned copy, so the copies after it keep theirs.
      const x = inside(cx + (col - (cols - 1) / 2) * stepX + jitter());
      const y = inside(cy + (row - (rows - 1) / 2) * stepY + jitter());
      const pin = pins?.[k];
      objects.push({
        noun: group.noun,
        shape: group.shape,
        colour: styled(colour),
        accent: styled(accent),
        x: pin?.x ?? x,
        y: pin?.y ?? y,
        size: pin?.size ?? size,
        ...(group.trace && count === 1 && { trace: group.trace }),
      });
    }
  });
  return objects;
}
