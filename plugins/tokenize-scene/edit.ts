// Edit planning for the default pack: which tokens of an existing image an
// edit prompt regenerates, and what they become. Pure and deterministic, so
// the host can run it anywhere and tests can compare tokens.
import { CODEBOOK_SIZE, nearestToken, tokenColour, type Rgb } from '../pack-default/index.js';
import { StageRejection, type TokenGrid } from '../sdk/index.js';
import {
  applyStyle,
  colourPhrase,
  describeRequest,
  layoutScene,
  layoutSeed,
  lookupShape,
  parsePrompt,
  promptWords,
  readColour,
  shade,
  VOCABULARY,
  type BackgroundRequest,
  type ObjectRequest,
  type Placement,
  type Scene,
  type SceneRequest,
  type Style,
} from './compile-prompt.js';
import { MIN_GRID, objectCoverage, rasterize } from './rasterize.js';

/**
 * A scene as edits track it: what the image was asked to show, and where
 * each copy of each object was actually drawn. Plain JSON. An edited image's
 * placements cannot be recomputed from its prompt (edits keep objects where
 * the image before had them), so store {@link EditPlan.scene} with the image
 * and pass it back as {@link EditInput.sourceScene} to edit it again.
 */
export interface EditScene {
  readonly request: SceneRequest;
  /** `placements[i]` has one entry per copy of `request.objects[i]`. */
  readonly placements: readonly (readonly Placement[])[];
}

export interface EditInput {
  /** The tokens of the image being edited (from a job's grid, or the token encoder for an upload). */
  readonly source: TokenGrid;
  /** The edit: a full description of the new image, or an instruction (`make the circle green`). */
  readonly prompt: string;
  /** Seeds the layout of objects the edit adds. */
  readonly seed: number;
  /** Output width / height, as the tokenizer was given. */
  readonly aspect: number;
  /**
   * The exact scene of the source, as an earlier {@link EditPlan.scene}.
   * Wins over `sourcePrompt`.
   */
  readonly sourceScene?: EditScene;
  /**
   * The full description the source was generated from (for an edited
   * source, its {@link EditPlan.prompt}). Recompiled with `sourceSeed`, it
   * gives the source's scene exactly when the source is a fresh generation;
   * for an edited source the objects the earlier edit kept in place come back
   * off by the seed jitter (up to 2% of the image side): pass `sourceScene`.
   */
  readonly sourcePrompt?: string;
  /** The seed the source was generated with (`job.seed + imageIndex`); default `seed`. */
  readonly sourceSeed?: number;
  /** `rows x cols` cells, 1 where the edit may change the image (see {@link maskFromAlpha}). */
  readonly mask?: Uint8Array;
  /**
   * Never reject: the source is an upload whose scene was read from its
   * pixels (or could not be), so an instruction naming what the reading did
   * not find is carried out as well as it can be (see {@link planEdit}).
   */
  readonly bestEffort?: boolean;
}

export interface EditPlan {
  /** The tokens to decode: the source's outside `changed`, the new scene's inside. */
  readonly grid: TokenGrid;
  /** `rows x cols`, 1 where the token was regenerated. */
  readonly changed: Uint8Array;
  /** Share of cells in `changed`, 0..1: what the edit costs relative to a fresh image. */
  readonly changedFraction: number;
  /**
   * The new image as a full description (OpenAI's `revised_prompt`): what an
   * instruction made of the source's prompt. Store it as the image's prompt.
   */
  readonly prompt: string;
  /** The new image's scene, exact; pass it back as `sourceScene` to edit the result. */
  readonly scene: EditScene;
  /** Whether the prompt was read as an instruction on the source's scene or as a full description. */
  readonly reading: 'instruction' | 'description';
  /** With `bestEffort`: the steps that could not be carried out as asked, and what was done instead. */
  readonly fallbacks: readonly string[];
}

/** Why an edit prompt cannot be carried out; the message says what to write instead. */
export class EditRejection extends StageRejection {
  constructor(message: string, code: 'edit_not_understood' | 'edit_target_not_found' | 'edit_needs_scene') {
    super(message, code);
    this.name = 'EditRejection';
  }
}

/**
 * The cell mask of an OpenAI-style edit mask. The mask is a PNG the size of
 * the image whose fully transparent pixels (alpha 0) mark where to edit; a
 * cell is editable if any of its pixels is fully transparent. "Any" rather
 * than a share of the cell: a token is the smallest thing the edit can
 * change, and a cell the user erased even partly must be free to change, or
 * the edit would leave a seam of old tokens inside the erased area.
 * Partly transparent pixels (a soft brush edge) do not count, as in OpenAI's
 * "fully transparent areas".
 *
 * @param alpha one byte per pixel, row-major, `width x height`.
 */
export function maskFromAlpha(alpha: Uint8Array, width: number, height: number, rows: number, cols: number): Uint8Array {
  for (const [name, value] of [['width', width], ['height', height], ['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  if (alpha.length !== width * height) throw new RangeError(`a ${width}x${height} mask needs ${width * height} alpha bytes, got ${alpha.length}`);
  const mask = new Uint8Array(rows * cols);
  for (let y = 0; y < height; y++) {
    // Any size maps onto the grid: a pixel belongs to the cell its top-left corner is in.
    const row = Math.floor((y * rows) / height);
    for (let x = 0; x < width; x++) {
      if (alpha[y * width + x] === 0) mask[row * cols + Math.floor((x * cols) / width)] = 1;
    }
  }
  return mask;
}

/** Cells within one cell (8-neighbourhood) of a marked cell: the decoder blends each token into its neighbours. */
export function dilateCells(cells: Uint8Array, rows: number, cols: number, radius = 1): Uint8Array {
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!cells[r * cols + c]) continue;
      for (let rr = Math.max(0, r - radius); rr <= Math.min(rows - 1, r + radius); rr++) {
        out.fill(1, rr * cols + Math.max(0, c - radius), rr * cols + Math.min(cols - 1, c + radius) + 1);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Instructions

type ObjectTarget = { readonly kind: 'object'; readonly phrase: string; readonly match: ObjectRequest };
type Target = { readonly kind: 'scene' } | { readonly kind: 'background'; readonly part: 'flat' | 'sky' | 'ground' } | ObjectTarget;

/** One step of an instruction, applied to the source's scene in order. */
export type EditOperation =
  | { readonly op: 'add'; readonly request: SceneRequest }
  | { readonly op: 'remove'; readonly target: Target }
  | { readonly op: 'recolour'; readonly target: Target; readonly colour: Rgb }
  | { readonly op: 'shade'; readonly target: ObjectTarget; readonly shade: 'dark' | 'light' }
  | { readonly op: 'resize'; readonly target: ObjectTarget; readonly size: number | 'bigger' | 'smaller' }
  | { readonly op: 'restyle'; readonly style: Style }
  | { readonly op: 'background'; readonly background: BackgroundRequest }
  | { readonly op: 'move'; readonly target: ObjectTarget; readonly position: { readonly x?: number; readonly y?: number } }
  | { readonly op: 'replace'; readonly target: ObjectTarget; readonly replacement: ObjectRequest };

const ADD_VERBS = new Set(['add', 'put', 'place', 'insert', 'include']);
const REMOVE_VERBS = new Set(['remove', 'delete', 'erase', 'hide', 'drop']);
const CHANGE_VERBS = new Set(['make', 'turn', 'change', 'colour', 'color', 'paint', 'recolour', 'recolor', 'set']);
const MOVE_VERBS = new Set(['move', 'shift']);
const REPLACE_VERBS = new Set(['replace', 'swap', 'substitute']);
const LEADING_FILLERS = new Set(['please', 'now', 'then', 'also', 'just', 'can', 'could', 'would', 'you', 'kindly', ',']);
const TRAILING_FILLERS = new Set(['please', 'instead', 'too', 'now', ',']);
const SCENE_WORDS = new Set(['it', 'everything', 'all', 'image', 'picture', 'scene', 'photo', 'whole', 'entire', 'this']);
const FLAT_WORDS = new Set(['background', 'backdrop', 'wall']);
const GROUND_WORDS = new Set(['ground', 'floor', 'grass', 'field', 'meadow', 'sea', 'ocean', 'water', 'lake', 'sand', 'beach', 'desert', 'snow']);
const ARTICLES = new Set(['a', 'an', 'the', 'some']);
// Words around an attribute that carry no meaning of their own: "the colour of", "a bit bigger", "in pastel style".
const ATTRIBUTE_NOISE = new Set(['a', 'an', 'the', 'colour', 'color', 'coloured', 'colored', 'in', 'style', 'more', 'much', 'bit', 'slightly', 'lot', 'look', 'looking', 'like', 's', 'scene', 'time', 'mode', 'version']);
const TARGET_NOISE = new Set(['colour', 'color', 'size', 'of', 's', 'its']);
const BIGGER = new Set(['bigger', 'larger', 'wider', 'taller', 'enlarge', 'grow']);
const SMALLER = new Set(['smaller', 'tinier', 'shorter', 'shrink']);
const DARKER = new Set(['darker', 'deeper']);
const LIGHTER = new Set(['lighter', 'paler', 'brighter', 'softer']);
const DAY_WORDS = new Set(['day', 'daytime', 'plain', 'normal', 'realistic', 'sunny']);
// "change X to Y", "turn X into Y", "make X into Y"; "make" takes no "to", which "next to" would trip.
const LINKING_WORDS: Readonly<Record<string, readonly string[]>> = { change: ['to', 'into'], turn: ['into', 'to'], set: ['to'], make: ['into'] };

function isVerb(words: readonly string[], index: number): boolean {
  const word = words[index];
  if (word === undefined) return false;
  if (ADD_VERBS.has(word) || REMOVE_VERBS.has(word) || CHANGE_VERBS.has(word) || MOVE_VERBS.has(word) || REPLACE_VERBS.has(word)) return true;
  const next = words[index + 1];
  return (word === 'get' && next === 'rid') || (word === 'take' && (next === 'out' || next === 'away'));
}

/** Where the verb of an instruction is, after fillers ("please", "now"); undefined if it does not start with one. */
function startsWithVerb(words: readonly string[]): number | undefined {
  let start = 0;
  while (start < words.length && LEADING_FILLERS.has(words[start] ?? '')) start++;
  return isVerb(words, start) ? start : undefined;
}

/** How many words the verb at the start of a clause takes ("get rid of": 3). */
function verbLength(words: readonly string[]): number {
  const [verb, next, third] = words;
  if (verb === 'get' && next === 'rid') return third === 'of' ? 3 : 2;
  return verb === 'take' ? 2 : 1;
}

/**
 * Splits "make the circle green and add a star" into one word list per verb.
 * "and the" starts a clause too, with the verb before it: "make the star red
 * and the circle blue", "remove the star and the moon". "and a" does not:
 * "add a star and a moon" adds both in one clause.
 */
function clauses(words: readonly string[]): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    let j = i;
    while (j < words.length && (words[j] === ',' || words[j] === 'and' || words[j] === 'then' || LEADING_FILLERS.has(words[j] ?? ''))) j++;
    if (j > i && current.length > 0 && isVerb(words, j)) {
      result.push(current);
      current = [];
      i = j - 1;
      continue;
    }
    const inherits = j > i && current.length > 0 && words[j] === 'the' && !ADD_VERBS.has(current[0] ?? '');
    if (inherits) {
      result.push(current);
      current = current.slice(0, verbLength(current));
      i = j - 1;
      continue;
    }
    current.push(word);
  }
  if (current.length > 0) result.push(current);
  return result;
}

const strip = (words: readonly string[], noise: ReadonlySet<string>) => words.filter((word) => !noise.has(word));

function notUnderstood(prompt: string): EditRejection {
  return new EditRejection(
    `Could not read the edit "${prompt}". Describe the whole new image ("a green circle on a white background"), ` +
      'or use one of: "make the circle green", "make it night", "make the background blue", "make the star bigger", ' +
      '"add a yellow star at the top left", "remove the circle", "move the circle to the right", "replace the circle with a star".',
    'edit_not_understood',
  );
}

function readTarget(words: readonly string[], prompt: string): Target {
  const meaningful = strip(words, new Set([...ARTICLES, ...TARGET_NOISE]));
  if (meaningful.length === 0 || meaningful.every((word) => SCENE_WORDS.has(word))) return { kind: 'scene' };
  if (meaningful.some((word) => FLAT_WORDS.has(word))) return { kind: 'background', part: 'flat' };
  if (meaningful.includes('sky')) return { kind: 'background', part: 'sky' };
  if (meaningful.some((word) => GROUND_WORDS.has(word))) return { kind: 'background', part: 'ground' };
  const phrase = strip(words, TARGET_NOISE).join(' ');
  const [match] = parsePrompt(phrase).objects;
  if (!match) throw notUnderstood(prompt);
  return { kind: 'object', phrase: strip(words, new Set([...ARTICLES, ...TARGET_NOISE])).join(' '), match };
}

function objectTarget(target: Target, prompt: string): ObjectTarget {
  if (target.kind !== 'object') throw notUnderstood(prompt);
  return target;
}

/**
 * The change `words` ask of `target` ("green", "bigger", "night", "a star"),
 * or undefined if they ask none that fits it ("make it red": recolour what?).
 */
function readAttribute(words: readonly string[], target: Target, { replace = true } = {}): EditOperation | undefined {
  const plain = strip(words, ATTRIBUTE_NOISE);
  if (plain.length === 0) return undefined;
  const colour = readColour(plain, 0);
  if (colour && colour.length === plain.length) return target.kind === 'scene' ? undefined : { op: 'recolour', target, colour: colour.colour };
  const [only] = plain;
  if (target.kind === 'object') {
    if (plain.some((word) => BIGGER.has(word))) return { op: 'resize', target, size: 'bigger' };
    if (plain.some((word) => SMALLER.has(word))) return { op: 'resize', target, size: 'smaller' };
    const size = only === undefined || plain.length > 1 ? undefined : VOCABULARY.sizes[only];
    if (size !== undefined) return { op: 'resize', target, size };
    if (plain.length === 1 && only !== undefined && (DARKER.has(only) || only === 'dark' || only === 'deep')) return { op: 'shade', target, shade: 'dark' };
    if (plain.length === 1 && only !== undefined && (LIGHTER.has(only) || only === 'light' || only === 'pale')) return { op: 'shade', target, shade: 'light' };
  }
  if (target.kind === 'scene' && plain.every((word) => DAY_WORDS.has(word) || VOCABULARY.styles[word] !== undefined)) {
    const style = plain.map((word) => VOCABULARY.styles[word]).find((s) => s !== undefined);
    return { op: 'restyle', style: style ?? 'plain' };
  }
  const parsed = parsePrompt(words.join(' '));
  const [replacement] = parsed.objects;
  // A known shape, or any noun an article or count introduces ("into a dragon"); not "make the circle sing".
  const introduced = replacement !== undefined && (lookupShape(replacement.noun) !== undefined || words.some((word) => ARTICLES.has(word) || /^\d+$/.test(word)));
  if (replace && replacement && introduced && target.kind === 'object') return { op: 'replace', target, replacement };
  if (target.kind === 'scene' && hasBackground(parsed.background)) return { op: 'background', background: parsed.background };
  return undefined;
}

function readChange(verb: string, rest: readonly string[], prompt: string): EditOperation {
  // "change the circle to green", "turn the circle into a star": split at the last linking word.
  const linking = LINKING_WORDS[verb] ?? [];
  for (let i = rest.length - 2; i >= 1; i--) {
    if (!linking.includes(rest[i] ?? '')) continue;
    let target: Target;
    try {
      target = readTarget(rest.slice(0, i), prompt);
    } catch {
      continue;
    }
    const attribute = readAttribute(rest.slice(i + 1), target);
    if (attribute) return attribute;
  }
  // "make the red circle dark green": the attribute is the longest suffix that reads as one,
  // a colour, size or style before an object ("make the circle next to the star blue" recolours).
  // Only "make pastel" leaves no target words; "make the sky pink" must not read as "make [it] sky pink".
  for (const replace of [false, true]) {
    for (let split = 0; split < rest.length; split++) {
      const tail = rest.slice(split);
      if (tail.length > 3) continue;
      if (split > 0 && strip(rest.slice(0, split), new Set([...ARTICLES, ...TARGET_NOISE])).length === 0) continue;
      let target: Target;
      try {
        target = readTarget(rest.slice(0, split), prompt);
      } catch {
        continue;
      }
      const attribute = readAttribute(tail, target, { replace });
      if (attribute && (split > 0 || attribute.op === 'restyle')) return attribute;
    }
  }
  throw notUnderstood(prompt);
}

function readClause(clause: readonly string[], prompt: string, existingNouns: ReadonlySet<string>): EditOperation {
  const [verb] = clause;
  const rest = clause.slice(verbLength(clause)).filter((word, i, all) => !(i === all.length - 1 && TRAILING_FILLERS.has(word)));
  if (verb === undefined || rest.length === 0) throw notUnderstood(prompt);
  if (ADD_VERBS.has(verb)) {
    const request = parsePrompt(rest.join(' '));
    // "add a star next to the circle": a later noun the scene already has is a reference, not a new object.
    const objects = request.objects.filter((object, i) => i === 0 || !existingNouns.has(object.noun));
    if (objects.length === 0 && !hasBackground(request.background) && request.style === 'plain') throw notUnderstood(prompt);
    return { op: 'add', request: { ...request, objects } };
  }
  if (REMOVE_VERBS.has(verb) || verb === 'get' || verb === 'take') return { op: 'remove', target: readTarget(rest, prompt) };
  if (MOVE_VERBS.has(verb)) {
    const to = rest.findIndex((word) => word === 'to' || word === 'into' || word === 'towards');
    const [targetWords, placeWords] = to >= 0 ? [rest.slice(0, to), rest.slice(to + 1)] : splitTrailing(rest, (word) => VOCABULARY.positions[word] !== undefined);
    const position: { x?: number; y?: number } = {};
    for (const word of placeWords) Object.assign(position, VOCABULARY.positions[word] ?? {});
    if (position.x === undefined && position.y === undefined) throw notUnderstood(prompt);
    return { op: 'move', target: objectTarget(readTarget(targetWords, prompt), prompt), position };
  }
  if (REPLACE_VERBS.has(verb)) {
    const by = rest.findIndex((word) => word === 'with' || word === 'for' || word === 'by');
    if (by < 1) throw notUnderstood(prompt);
    const [replacement] = parsePrompt(rest.slice(by + 1).join(' ')).objects;
    if (!replacement) throw notUnderstood(prompt);
    return { op: 'replace', target: objectTarget(readTarget(rest.slice(0, by), prompt), prompt), replacement };
  }
  return readChange(verb, rest, prompt);
}

/** Splits off the longest run of trailing words that satisfy `test`. */
function splitTrailing(words: readonly string[], test: (word: string) => boolean): [string[], string[]] {
  let i = words.length;
  while (i > 0 && (test(words[i - 1] ?? '') || ARTICLES.has(words[i - 1] ?? ''))) i--;
  return [words.slice(0, i), words.slice(i)];
}

function hasBackground(background: BackgroundRequest): boolean {
  return background.flat !== undefined || background.skyMentioned || background.ground !== undefined;
}

/**
 * "the circle is now purple", "the background should be blue", "it is night":
 * a target, a form of "be", and a colour, size or style. Anything else after
 * "is" ("a cat is sitting on a mat") is left to the full description.
 */
function readStatement(words: readonly string[]): EditOperation | undefined {
  const be = words.findIndex((word) => word === 'is' || word === 'are' || word === 'be');
  if (be < 1) return undefined;
  const targetWords = words.slice(0, be).filter((word) => word !== 'should' && word !== 'must' && word !== 'will');
  try {
    const target = readTarget(targetWords, words.join(' '));
    if (target.kind === 'scene' && targetWords.length === 0) return undefined;
    return readAttribute(words.slice(be + 1).filter((word) => word !== 'now' && !TRAILING_FILLERS.has(word)), target, { replace: false });
  } catch {
    return undefined;
  }
}

/**
 * Reads an edit instruction, or returns undefined for a full description.
 *
 * An instruction starts with a verb, and several join with "and" / "then" /
 * commas before a verb ("make the circle green and add a star"):
 * - `make|turn|change|colour|paint X Y`, `change X to Y`, `turn X into Y`:
 *   Y a colour (`dark green` too) recolours X; `bigger`/`smaller` or a size
 *   word resizes it; `darker`/`lighter` shades it; an object (`into a star`)
 *   replaces it. With X `it` / `the image` / nothing, Y a style word
 *   (`night`, `pastel`, `ghibli`, `neon`, `monochrome`, or `day` for none)
 *   restyles everything. With X `the background` / `the sky` / `the grass`,
 *   Y a colour recolours that part.
 * - `add|put|place|insert X [position]`: adds the objects of X (and any
 *   background or style it names).
 * - `remove|delete|erase X`, `get rid of X`, `take out X`: removes every
 *   object X names (`the red circles`, `the star on the left`); X
 *   `everything` removes all, `the background` resets it to plain.
 * - `move X to the top left`: moves X.
 * - `replace|swap X with Y`: Y takes X's place.
 *
 * X is read like a prompt: a noun with optional colour and position words;
 * it names every object whose noun or shape matches and whose colour and
 * place agree with the words given.
 *
 * Two forms with no verb read as instructions too: a statement of the new
 * state (`the circle is now purple`, `the background should be blue`), and
 * a prompt that names no object but only a background or a style (`on a
 * blue background`, `pastel style`), which as a full description would
 * erase every object.
 */
export function parseInstruction(prompt: string, existingNouns: ReadonlySet<string> = new Set()): EditOperation[] | undefined {
  const words = promptWords(prompt);
  const start = startsWithVerb(words);
  if (start === undefined) {
    const stated = readStatement(words);
    if (stated) return [stated];
    const request = parsePrompt(prompt);
    if (request.objects.length > 0) return undefined;
    const operations: EditOperation[] = [];
    if (hasBackground(request.background)) operations.push({ op: 'background', background: request.background });
    if (request.style !== 'plain') operations.push({ op: 'restyle', style: request.style });
    return operations.length > 0 ? operations : undefined;
  }
  return clauses(words.slice(start)).map((clause) => readClause(clause, prompt, existingNouns));
}

// ---------------------------------------------------------------------------
// Applying instructions

interface Entry {
  readonly object: ObjectRequest;
  /** Where the copies go, if they stay where they were; undefined to lay them out. */
  readonly pins: readonly Placement[] | undefined;
}

interface Draft {
  style: Style;
  background: BackgroundRequest;
  entries: Entry[];
}

const sameRgb = (a: Rgb, b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Size words from smallest to largest, the steps of "bigger" and "smaller". */
const SIZE_STEPS = [...new Set(Object.values(VOCABULARY.sizes))].sort((a, b) => a - b);

function drawScene(draft: Draft, seed: number): { request: SceneRequest; scene: Scene } {
  const request: SceneRequest = { style: draft.style, background: draft.background, objects: draft.entries.map((entry) => entry.object) };
  return { request, scene: layoutScene(request, seed, draft.entries.map((entry) => entry.pins)) };
}

/** Where each entry's first copy is in the laid-out scene's objects. */
function firstCopies(entries: readonly Entry[]): number[] {
  let offset = 0;
  return entries.map((entry) => {
    offset += entry.object.count;
    return offset - entry.object.count;
  });
}

/**
 * Indexes of the entries `target` names. A colour word matches by name, so
 * "the red circle" finds a measured red (an upload's) as well as the named
 * one. `anyKind` ignores the noun: the upload's shape guess may be wrong.
 */
function matching(draft: Draft, target: ObjectTarget, anyKind = false): number[] {
  const { match } = target;
  const shape = lookupShape(match.noun)?.shape;
  // Unstyled colours, as the prompt named them, and where each object is.
  const plainScene = drawScene({ ...draft, style: 'plain' }, 0).scene;
  const firstCopy = firstCopies(draft.entries);
  const near = (want: number | undefined, at: number) => want === undefined || (want === 0.5 ? Math.abs(at - 0.5) < 1 / 6 : want < 0.5 ? at < 0.5 : at > 0.5);
  return draft.entries.flatMap((entry, index) => {
    const object = entry.object;
    const sameKind = anyKind || object.noun === match.noun || (shape !== undefined && lookupShape(object.noun) !== undefined && object.shape === shape);
    const drawn = plainScene.objects[firstCopy[index] ?? 0];
    if (!sameKind || !drawn) return [];
    if (match.colour !== undefined && !sameRgb(drawn.colour, match.colour) && colourPhrase(drawn.colour) !== colourPhrase(match.colour)) return [];
    return near(match.position.x, drawn.x) && near(match.position.y, drawn.y) ? [index] : [];
  });
}

function targetMissing(draft: Draft, target: ObjectTarget, prompt: string): EditRejection {
  const nouns = [...new Set(draft.entries.map((entry) => entry.object.noun))];
  const has = nouns.length > 0 ? `it shows: ${nouns.join(', ')}` : 'no objects are known in it';
  return new EditRejection(`The edit "${prompt}" names "${target.phrase}", but the image has none (${has}).`, 'edit_target_not_found');
}

function apply(draft: Draft, operation: EditOperation, prompt: string, seed: number, anyKind = false): Draft {
  const update = (target: ObjectTarget, change: (entry: Entry, index: number) => Entry | undefined): Draft => {
    const hits = new Set(matching(draft, target, anyKind));
    if (hits.size === 0) throw targetMissing(draft, target, prompt);
    return { ...draft, entries: draft.entries.flatMap((entry, index) => (hits.has(index) ? (change(entry, index) ?? []) : [entry])) };
  };
  switch (operation.op) {
    case 'add': {
      const { request } = operation;
      return {
        style: request.style === 'plain' ? draft.style : request.style,
        background: mergeBackground(draft.background, request.background),
        entries: [...draft.entries, ...request.objects.map((object) => ({ object, pins: undefined }))],
      };
    }
    case 'remove': {
      const { target } = operation;
      if (target.kind === 'scene') return { ...draft, entries: [] };
      if (target.kind === 'background') return { ...draft, background: { skyMentioned: false } };
      return update(target, () => undefined);
    }
    case 'recolour': {
      const { target, colour } = operation;
      if (target.kind === 'background') {
        const { background } = draft;
        return {
          ...draft,
          background:
            target.part === 'flat'
              ? { ...background, flat: colour }
              : target.part === 'sky'
                ? { ...background, flat: undefined, sky: colour, skyMentioned: true }
                : { ...background, flat: undefined, ground: colour },
        };
      }
      if (target.kind === 'scene') throw notUnderstood(prompt);
      return update(target, (entry) => ({ ...entry, object: { ...entry.object, colour } }));
    }
    case 'shade': {
      const plainScene = drawScene({ ...draft, style: 'plain' }, seed).scene;
      const firstCopy = firstCopies(draft.entries);
      return update(operation.target, (entry, index) => {
        const current = plainScene.objects[firstCopy[index] ?? 0]?.colour ?? entry.object.colour ?? [0.5, 0.5, 0.5];
        return { ...entry, object: { ...entry.object, colour: shade(current, operation.shade) } };
      });
    }
    case 'resize':
      return update(operation.target, (entry) => {
        const current = entry.pins?.[0]?.size ?? entry.object.size ?? 0.3;
        const { size } = operation;
        // Steps through the size words, so the new size can be written back into the prompt.
        const next =
          typeof size === 'number'
            ? size
            : size === 'bigger'
              ? (SIZE_STEPS.find((step) => step > current * 1.15) ?? SIZE_STEPS.at(-1) ?? current)
              : ([...SIZE_STEPS].reverse().find((step) => step < current / 1.15) ?? SIZE_STEPS[0] ?? current);
        return { object: { ...entry.object, size: next }, pins: entry.pins?.map((pin) => ({ ...pin, size: next })) };
      });
    case 'restyle':
      return { ...draft, style: operation.style };
    case 'background':
      return { ...draft, background: mergeBackground(draft.background, operation.background) };
    case 'move':
      return update(operation.target, (entry) => ({ object: { ...entry.object, position: { ...entry.object.position, ...operation.position } }, pins: undefined }));
    case 'replace':
      return update(operation.target, (entry) => {
        const { replacement } = operation;
        const object: ObjectRequest = {
          ...replacement,
          colour: replacement.colour ?? entry.object.colour,
          position: { ...entry.object.position, ...replacement.position },
        };
        // It takes the old object's place unless the instruction put it elsewhere or changed the count.
        const inPlace = replacement.position.x === undefined && replacement.position.y === undefined && replacement.count === entry.object.count;
        const pins = inPlace ? entry.pins?.map((pin) => ({ ...pin, size: replacement.size ?? pin.size })) : undefined;
        return { object, pins };
      });
  }
}

/** `added` over `base`: the parts it names replace those of `base`, and a new sky or ground lifts a flat background that would hide it. */
function mergeBackground(base: BackgroundRequest, added: BackgroundRequest): BackgroundRequest {
  if (!hasBackground(added)) return base;
  return {
    flat: added.flat ?? (added.skyMentioned || added.ground !== undefined ? undefined : base.flat),
    sky: added.skyMentioned ? added.sky : base.sky,
    skyMentioned: added.skyMentioned || base.skyMentioned,
    ground: added.ground ?? base.ground,
  };
}

// ---------------------------------------------------------------------------
// Best effort, for uploads

/** What an operation whose target is not in the scene becomes: its result drawn as a new object, or nothing. */
function instead(operation: EditOperation): EditOperation | undefined {
  if (!('target' in operation) || operation.target.kind !== 'object') return undefined;
  const { match } = operation.target;
  const object = (changes: Partial<ObjectRequest>): EditOperation => ({
    op: 'add',
    request: { style: 'plain', background: { skyMentioned: false }, objects: [{ ...match, ...changes }] },
  });
  switch (operation.op) {
    case 'recolour':
      return object({ colour: operation.colour });
    case 'resize':
      return typeof operation.size === 'number' ? object({ size: operation.size }) : undefined;
    case 'move':
      return object({ position: { ...match.position, ...operation.position } });
    case 'replace':
      return object({ ...operation.replacement, position: { ...match.position, ...operation.replacement.position } });
    default:
      return undefined;
  }
}

/**
 * Applies an operation to an upload's read scene without ever rejecting it:
 * a target the reading did not find is looked for again by its colour and
 * place alone, or as the one object when the image shows one; failing
 * that, a step that describes an object (recolour, move, replace, an exact
 * size) draws it as a new one, and the rest (remove, bigger) leave the image
 * as it was.
 */
function applyBestEffort(draft: Draft, operation: EditOperation, prompt: string, seed: number, fallbacks: string[]): Draft {
  try {
    return apply(draft, operation, prompt, seed);
  } catch (error) {
    if (!(error instanceof EditRejection)) throw error;
  }
  if ('target' in operation && operation.target.kind === 'object') {
    const { target } = operation;
    const loose = matching(draft, target, true);
    const only = draft.entries.length === 1 && target.match.colour === undefined ? [0] : [];
    const hits = loose.length > 0 ? loose : only;
    if (hits.length > 0) {
      fallbacks.push(`"${target.phrase}" read as the ${hits.map((i) => draft.entries[i]?.object.noun).join(', ')}`);
      // Retarget by the noun of the object found, keeping the colour and place words.
      const noun = draft.entries[hits[0]!]!.object.noun;
      try {
        return apply(draft, { ...operation, target: { ...target, match: { ...target.match, noun } } } as EditOperation, prompt, seed, true);
      } catch (error) {
        if (!(error instanceof EditRejection)) throw error;
      }
    }
  }
  const alternative = instead(operation);
  fallbacks.push(alternative ? `${operation.op} of a missing object drawn as a new one` : `${operation.op} of a missing object skipped`);
  return alternative ? apply(draft, alternative, prompt, seed) : draft;
}

// ---------------------------------------------------------------------------
// Planning

function splitPlacements(scene: Scene, request: SceneRequest): Placement[][] {
  let offset = 0;
  return request.objects.map((object) => {
    const copies = scene.objects.slice(offset, offset + object.count).map(({ x, y, size }) => ({ x, y, size }));
    offset += object.count;
    return copies;
  });
}

/** The scene a full description lays out at `seed`, as a generation draws it; the exact scene of a fresh generation. */
export function sceneOfPrompt(prompt: string, seed: number): EditScene {
  const request = parsePrompt(prompt);
  return { request, placements: splitPlacements(layoutScene(request, layoutSeed(prompt, seed)), request) };
}

function sourceSceneOf(input: EditInput): EditScene | undefined {
  if (input.sourceScene) {
    const { request, placements } = input.sourceScene;
    if (placements.length !== request.objects.length) {
      throw new RangeError(`sourceScene has ${request.objects.length} objects but ${placements.length} placement lists; pass a scene planEdit returned, unchanged`);
    }
    return input.sourceScene;
  }
  if (input.sourcePrompt === undefined) return undefined;
  if (startsWithVerb(promptWords(input.sourcePrompt)) !== undefined) {
    throw new RangeError(`sourcePrompt "${input.sourcePrompt}" is an edit instruction; pass the source's full description (an earlier EditPlan.prompt) or its sourceScene`);
  }
  return sceneOfPrompt(input.sourcePrompt, input.sourceSeed ?? input.seed);
}

/**
 * Pins objects of a full description to the source's objects they repeat:
 * the k-th object with a given noun is the source's k-th with that noun, and
 * stays where it was if its count, size and position words are unchanged.
 */
function pinRepeated(request: SceneRequest, source: EditScene): Entry[] {
  const byNoun = new Map<string, number[]>();
  source.request.objects.forEach((old, index) => byNoun.set(old.noun, [...(byNoun.get(old.noun) ?? []), index]));
  return request.objects.map((object) => {
    const index = byNoun.get(object.noun)?.shift();
    const old = index === undefined ? undefined : source.request.objects[index];
    const same = old !== undefined && old.count === object.count && old.size === object.size && old.position.x === object.position.x && old.position.y === object.position.y;
    return { object, pins: same && index !== undefined ? source.placements[index] : undefined };
  });
}

/** Shorter-side units per unit of normalised x and y: sizes are fractions of the shorter side. */
const axisScale = (aspect: number) => ({ sx: Math.max(1, aspect), sy: Math.max(1, 1 / aspect) });

/** How deep a disc at (x, y) of diameter `size` sinks into the pinned objects (0: clear of them). */
function overlap(x: number, y: number, size: number, pinned: readonly Placement[], aspect: number): number {
  const { sx, sy } = axisScale(aspect);
  return pinned.reduce((sum, pin) => sum + Math.max(0, (size + pin.size) / 2 - Math.hypot((x - pin.x) * sx, (y - pin.y) * sy)), 0);
}

/** The nine places position words can name, corners first: the usual free space around a centred subject. */
const SPOTS: readonly (readonly [number, number])[] = [
  [0.25, 0.25],
  [0.75, 0.25],
  [0.25, 0.75],
  [0.75, 0.75],
  [0.5, 0.25],
  [0.25, 0.5],
  [0.75, 0.5],
  [0.5, 0.75],
  [0.5, 0.5],
];

/**
 * Where new objects with no position words go. In a mask, they are fitted
 * into the mask's bounding box (side by side if several). Otherwise they keep the layout's place
 * unless it overlaps an object the edit kept, in which case they take the
 * position-word spot that overlaps least (written into the request, so the
 * revised prompt says where).
 */
function placeNewObjects(draft: Draft, seed: number, aspect: number, mask: { rows: number; cols: number; cells: Uint8Array } | undefined): Draft {
  const unplaced = (entry: Entry) => entry.pins === undefined && entry.object.count === 1 && entry.object.position.x === undefined && entry.object.position.y === undefined;
  if (!draft.entries.some(unplaced)) return draft;
  if (mask) {
    const box = boundingBox(mask.cells, mask.rows, mask.cols);
    if (!box) return draft;
    // Several new objects share the box side by side, in prompt order.
    const { sx, sy } = axisScale(aspect);
    const n = draft.entries.filter(unplaced).length;
    const width = (box.x1 - box.x0) / n;
    const fit = Math.min(0.9 * width * sx, 0.9 * (box.y1 - box.y0) * sy);
    let k = 0;
    return {
      ...draft,
      entries: draft.entries.map((entry) => {
        if (!unplaced(entry)) return entry;
        const x = box.x0 + (k++ + 0.5) * width;
        return { ...entry, pins: [{ x, y: (box.y0 + box.y1) / 2, size: Math.min(entry.object.size ?? fit, fit) }] };
      }),
    };
  }
  const pinned = draft.entries.flatMap((entry) => entry.pins ?? []);
  if (pinned.length === 0) return draft;
  const { scene } = drawScene(draft, seed);
  let offset = 0;
  const entries = draft.entries.map((entry) => {
    const drawn = scene.objects[offset];
    offset += entry.object.count;
    if (!unplaced(entry) || !drawn || overlap(drawn.x, drawn.y, drawn.size, pinned, aspect) === 0) return entry;
    const scored = SPOTS.map(([x, y]) => ({ x, y, depth: overlap(x, y, entry.object.size ?? drawn.size, pinned, aspect) }));
    const best = scored.reduce((a, b) => (b.depth < a.depth ? b : a));
    return { ...entry, object: { ...entry.object, position: { x: best.x, y: best.y } } };
  });
  return { ...draft, entries };
}

function boundingBox(cells: Uint8Array, rows: number, cols: number): { x0: number; x1: number; y0: number; y1: number } | undefined {
  let [r0, r1, c0, c1] = [rows, -1, cols, -1];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!cells[r * cols + c]) continue;
      [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
    }
  }
  return r1 < 0 ? undefined : { x0: c0 / cols, x1: (c1 + 1) / cols, y0: r0 / rows, y1: (r1 + 1) / rows };
}

function checkInput(input: EditInput): void {
  const { source, mask } = input;
  if (!Number.isInteger(source.rows) || !Number.isInteger(source.cols) || source.rows < MIN_GRID || source.cols < MIN_GRID) {
    throw new RangeError(`source grid must be at least ${MIN_GRID}x${MIN_GRID}, got ${source.rows}x${source.cols}`);
  }
  if (source.codebookSize !== CODEBOOK_SIZE) throw new RangeError(`source grid uses a ${source.codebookSize}-token codebook; the scene planner draws with ${CODEBOOK_SIZE}`);
  if (source.tokens.length !== source.rows * source.cols) throw new RangeError(`source grid has ${source.tokens.length} tokens for ${source.rows}x${source.cols}`);
  if (mask && mask.length !== source.rows * source.cols) throw new RangeError(`mask has ${mask.length} cells, the grid ${source.rows * source.cols}`);
  if (!(input.aspect > 0) || !Number.isFinite(input.aspect)) throw new RangeError(`aspect must be a positive number, got ${input.aspect}`);
}

/**
 * Plans an edit of an image of the default pack: the new token grid and the
 * cells it regenerates.
 *
 * The new scene. An instruction (see {@link parseInstruction}) is applied to
 * the source's scene (`sourceScene`, else `sourcePrompt` recompiled with
 * `sourceSeed`); any other prompt is a full description of the new image.
 * Objects the source already had keep their exact placement: the ones an
 * instruction did not move, and in a full description the k-th object with
 * a noun when its count, size and position words are unchanged. So adding an
 * object never moves the others, although the prompt compiler alone would
 * share the width among them, and layout jitter (which depends on the
 * prompt's wording) never shifts them. New objects with no position words
 * take the layout's place, or the free spot that overlaps kept objects least,
 * or, with a mask, the mask's bounding box.
 *
 * The changed cells, the first rule that applies:
 * 1. `mask`: exactly the masked cells (the client said where).
 * 2. A known source scene: the cells where the rasterized source scene and
 *    new scene differ, dilated by one cell, since the decoder blends each
 *    token halfway into its neighbours.
 * 3. An upload with no scene and no mask: the footprint of the new scene's
 *    objects, dilated by one cell; plus the whole grid when the prompt sets a
 *    background (the new one replaces the image) or a style (kept cells are
 *    restyled token by token: their colour through the style's palette
 *    transform, back to the nearest token). Instructions that name an object
 *    or the background of such an upload are rejected, since nothing is known
 *    about what it shows, unless `bestEffort` (the host read the upload's
 *    scene with `sceneOfImage`, which gives rule 2, or could not).
 *
 * With `bestEffort`, nothing is rejected: an unreadable instruction changes
 * nothing, and a target the scene lacks is found by colour and place alone,
 * or is the only object, or else its result is drawn as a new object (see
 * `applyBestEffort`); {@link EditPlan.fallbacks} says what was done instead.
 *
 * The grid holds the source's tokens outside the changed cells (restyled in
 * case 3) and the new scene's inside, so decoded pixels further than one
 * cell from a changed cell are the source's, byte for byte.
 *
 * @throws EditRejection when the prompt cannot be read or names what the image lacks.
 */
export function planEdit(input: EditInput): EditPlan {
  checkInput(input);
  const { source, prompt, seed, aspect, mask } = input;
  const { rows, cols } = source;
  const old = sourceSceneOf(input);
  const existingNouns = new Set(old?.request.objects.map((object) => object.noun) ?? []);
  const fallbacks: string[] = [];
  let operations: EditOperation[] | undefined;
  try {
    operations = parseInstruction(prompt, existingNouns);
  } catch (error) {
    if (!input.bestEffort || !(error instanceof EditRejection)) throw error;
    // An instruction that cannot be read changes nothing rather than failing.
    fallbacks.push('instruction not understood; image kept as it was');
    operations = [];
  }

  let draft: Draft;
  if (operations) {
    const empty: Draft = { style: 'plain', background: { skyMentioned: false }, entries: [] };
    draft = old
      ? { style: old.request.style, background: old.request.background, entries: old.request.objects.map((object, i) => ({ object, pins: old.placements[i] })) }
      : empty;
    const needsScene = operations.find((operation) => 'target' in operation && operation.target.kind !== 'scene');
    if (!old && !mask && needsScene && !input.bestEffort) {
      throw new EditRejection(
        `The edit "${prompt}" changes part of the image, but what the source image shows is unknown (it was uploaded, ` +
          'not made here). Send a mask over the area to change, or describe the whole new image.',
        'edit_needs_scene',
      );
    }
    for (const operation of operations) {
      draft = input.bestEffort ? applyBestEffort(draft, operation, prompt, seed, fallbacks) : apply(draft, operation, prompt, seed);
    }
  } else {
    const request = parsePrompt(prompt);
    draft = {
      style: request.style,
      background: request.background,
      entries: old ? pinRepeated(request, old) : request.objects.map((object) => ({ object, pins: undefined })),
    };
  }
  draft = placeNewObjects(draft, seed, aspect, mask ? { rows, cols, cells: mask } : undefined);

  const revised = describeRequest({ style: draft.style, background: draft.background, objects: draft.entries.map((entry) => entry.object) });
  const { request, scene } = drawScene(draft, layoutSeed(revised, seed));
  const options = { rows, cols, aspect };
  const fresh = rasterize(scene, options);

  // Cells that take the new scene's token; the rest keep the source's (restyled in rule 3).
  let regenerated: Uint8Array;
  let kept = source.tokens;
  if (mask) {
    regenerated = Uint8Array.from(mask, (cell) => (cell ? 1 : 0));
  } else if (old) {
    const before = rasterize(layoutScene(old.request, 0, old.placements), options);
    regenerated = dilateCells(Uint8Array.from(before.tokens, (token, i) => (token === fresh.tokens[i] ? 0 : 1)), rows, cols);
  } else if (hasBackground(request.background)) {
    regenerated = new Uint8Array(rows * cols).fill(1);
  } else {
    regenerated = dilateCells(objectCoverage(scene, options), rows, cols);
    if (request.style !== 'plain') kept = Int32Array.from(source.tokens, (token) => nearestToken(...applyStyle(request.style, tokenColour(token))));
  }

  const tokens = Int32Array.from(kept, (token, i) => (regenerated[i] ? (fresh.tokens[i] ?? token) : token));
  // A restyle touches every cell, regenerated or not.
  const changed = kept === source.tokens ? regenerated : new Uint8Array(rows * cols).fill(1);
  const changedCount = changed.reduce((sum, cell) => sum + cell, 0);
  return {
    grid: { rows, cols, codebookSize: CODEBOOK_SIZE, tokens },
    changed,
    changedFraction: changedCount / changed.length,
    prompt: revised,
    scene: { request, placements: splitPlacements(scene, request) },
    reading: operations ? 'instruction' : 'description',
    fallbacks,
  };
}
