// The input-moderation engine: a policy of categories, concept groups and
// co-occurrence rules, compiled once and matched against normalised prompt
// tokens. Pure (zod only, no node:*), so the gateway imports it inside workerd.
//
// Written by hand rather than on the `obscenity` package: obscenity (pure JS,
// no install script) matches one English phrase pattern at a time after
// character transforms. What this engine needs is different in kind: concept
// co-occurrence in any order across a prompt ("child" … "lingerie"), guard
// phrases that retire a word sense ("blood orange"), unspaced substring
// matching for Japanese, Devanagari nukta/joiner handling, and one normaliser
// whose output both sides (policy terms and prompts) share.
import { MODERATION_CATEGORIES, policySchema, type ModerationCategory, type PolicyOverlay, type RuleElement, type SafetyPolicy, type Severity } from '../../protocol/safety-policy.js';

export * from '../../protocol/safety-policy.js';

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Only this much of a prompt is read: matching cost stays bounded whatever the input. */
export const MAX_MODERATED_CHARS = 32_768;

/** Returns `policy` with the overlay applied. An overlay can only add strictness: nothing it says loosens a category. */
export function applyOverlay(policy: SafetyPolicy, overlay: PolicyOverlay): SafetyPolicy {
  const categories = policy.categories.map((category) => ({ ...category, terms: [...(category.terms ?? [])] }));
  const byId = new Map(categories.map((category) => [category.id, category]));
  const ensure = (id: ModerationCategory) => {
    let category = byId.get(id);
    if (!category) {
      category = { id, severity: 'high', relaxable: false, enabled: true, terms: [] };
      categories.push(category);
      byId.set(id, category);
    }
    return category;
  };
  for (const id of overlay.disableRelaxation ?? []) ensure(id).relaxable = false;
  for (const id of overlay.enableCategories ?? []) ensure(id).enabled = true;
  for (const [id, terms] of Object.entries(overlay.extraTerms ?? {}) as Array<[ModerationCategory, string[] | undefined]>) {
    const category = ensure(id);
    category.terms.push(...(terms ?? []));
    // A tenant's own terms are its own decision: they stay in force even where the base policy had the category off.
    category.enabled = true;
  }
  for (const [id, severity] of Object.entries(overlay.raiseSeverity ?? {}) as Array<[ModerationCategory, Severity | undefined]>) {
    if (!severity) continue;
    const category = ensure(id);
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[category.severity]) category.severity = severity;
  }
  return { ...policy, categories };
}

// ─── Normalisation ──────────────────────────────────────────────────────────

// Zero-width, joiner, bidi-control and variation-selector characters: invisible, so only ever used to split a word.
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\u{E0000}-\u{E007F}]/gu;
// Latin/Greek/Cyrillic diacritics (after NFD); Devanagari matras and Japanese dakuten are outside this range and stay.
const LATIN_DIACRITICS = /[\u0300-\u036F]/g;
const DEVANAGARI_NUKTA = /\u093C/g;
const CANDRABINDU = /\u0901/g;

// Lower-case Cyrillic and Greek letters that look like Latin ones. The target
// languages never write in these scripts, so mapping them costs no meaning.
const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', з: '3', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', һ: 'h', ӏ: 'l', ь: 'b', п: 'n', г: 'r', и: 'u', л: 'n', ш: 'w', д: 'd',
  α: 'a', β: 'b', γ: 'y', δ: 'd', ε: 'e', ζ: 'z', η: 'n', ι: 'i', κ: 'k', λ: 'l', μ: 'u', ν: 'v', ο: 'o', π: 'n', ρ: 'p', σ: 'o', ς: 's', τ: 't', υ: 'u', φ: 'o', χ: 'x', ω: 'w',
  ı: 'i', ɑ: 'a', ɡ: 'g', ɩ: 'i', ʟ: 'l', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z', ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

// Runs of at least three single characters split by separators ("n u d e", "n.u.d.e", "n-u-d-e"):
// only such runs are joined, so ordinary words next to each other never merge.
const SPACED_LETTERS = /(?<![\p{L}\p{N}])[\p{L}\p{N}@$](?:[\s.\-_*·•,'|/+~:]+[\p{L}\p{N}@$](?![\p{L}\p{N}])){2,}/gu;
const SPACED_SEPARATORS = /[\s.\-_*·•,'|/+~:]+/gu;
const WORD_GAP = /\s{2,}|\s*[,;/|]\s*/u;

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'i', '|': 'l', '€': 'e', '£': 'l' };
const LEET_RUN = /[\p{L}\p{N}@$!|€£]+/gu;
const HAS_LETTER = /\p{L}/u;
const HAS_LEET = /[0-9@$!|€£]/;

const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;
const CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
const SPACE_BETWEEN_CJK = /(?<=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー])[\s・.\-_*]+(?=[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー])/gu;
const HIRAGANA = /[\u3041-\u3096]/g;

/**
 * The base form both prompts and policy terms are matched in: NFKC (fullwidth,
 * math alphanumerics), invisible characters removed, lower case, confusables
 * mapped to Latin, Latin diacritics and Devanagari nukta dropped, and spaced-out
 * letter runs joined.
 */
export function normalizeText(input: string): string {
  let text = input.slice(0, MAX_MODERATED_CHARS).normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
  text = text.replace(CONFUSABLE_CHARS, (char) => CONFUSABLES[char] ?? char);
  text = text.normalize('NFD').replace(LATIN_DIACRITICS, '').replace(DEVANAGARI_NUKTA, '').replace(CANDRABINDU, '\u0902').normalize('NFC');
  // A wider gap (two spaces or more, or a comma) inside a run separates words: "c h i l d   n u d e".
  return text.replace(SPACED_LETTERS, (run) => ` ${run.split(WORD_GAP).map((word) => word.replace(SPACED_SEPARATORS, '')).join(' ')} `);
}

/** The leetspeak reading of normalised text ("p0rn" → "porn", "a$$" → "ass"); digits in tokens without letters stay. */
export function deLeet(text: string): string {
  return text.replace(LEET_RUN, (run) => (HAS_LETTER.test(run) && HAS_LEET.test(run) ? run.replace(/[0-9@$!|€£]/g, (char) => LEET[char] ?? char) : run));
}

/** Text for unspaced (Japanese) matching: spaces between CJK characters dropped, hiragana folded to katakana. */
function cjkForm(text: string): string {
  return text.replace(SPACE_BETWEEN_CJK, '').replace(HIRAGANA, (char) => String.fromCharCode(char.charCodeAt(0) + 0x60));
}

function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** Other spellings a prompt token may stand for: stretched letters squeezed, then each language's common endings undone. */
function tokenForms(token: string): string[] {
  const forms = [token];
  if (/(.)\1\1/u.test(token)) {
    forms.push(token.replace(/(.)\1{2,}/gu, '$1'), token.replace(/(.)\1{2,}/gu, '$1$1'));
  }
  for (const form of [...forms]) for (const stem of inflectionStems(form)) if (!forms.includes(stem)) forms.push(stem);
  return forms;
}

// Tokens shorter than this keep their endings: short words are where a stripped ending collides with another word.
const MIN_STEMMED_LENGTH = 5;
const LATIN_WORD = /^[a-z]+$/;
const INDONESIAN_PREFIX = /^(?:meng|meny|mem|men|me|di|ter|ber|ke)(?=[a-z]{4})/;
const INDONESIAN_SUFFIX = /(?:nya|kan|mu|ku)$/;

/**
 * Light, rule-based stemming for the Latin-script target languages: plurals
 * (cats, heroes), English -ing/-ed (cutting, whipped), German -e/-en/-n
 * (betäubte, Flüchtlingen), Romance gender (asquerosa ~ asqueroso) and the
 * Indonesian affixes (membunuhmu → bunuh, menyilet → silet). Each stem is
 * only another form to look up: a stem that is no policy term costs nothing.
 */
function inflectionStems(form: string): string[] {
  if (form.length < 4 || !LATIN_WORD.test(form)) return [];
  const stems: string[] = [];
  if (form.endsWith('s')) stems.push(form.slice(0, -1));
  if (form.length > 4 && form.endsWith('es')) stems.push(form.slice(0, -2));
  if (form.length < MIN_STEMMED_LENGTH) return stems;
  const undouble = (stem: string) => (/([b-df-hj-np-tv-z])\1$/.test(stem) ? [stem, stem.slice(0, -1)] : [stem, `${stem}e`]);
  if (form.length > 5 && form.endsWith('ing')) stems.push(...undouble(form.slice(0, -3)));
  if (form.endsWith('ed')) stems.push(...undouble(form.slice(0, -2)), form.slice(0, -1));
  if (form.length >= 7 && form.endsWith('en')) stems.push(form.slice(0, -1), form.slice(0, -2));
  if (form.length >= 6 && form.endsWith('e')) stems.push(form.slice(0, -1));
  if (form.endsWith('a')) stems.push(`${form.slice(0, -1)}o`);
  if (form.endsWith('o')) stems.push(`${form.slice(0, -1)}a`);
  if (form.length >= 6) {
    const unsuffixed = form.replace(INDONESIAN_SUFFIX, '');
    for (const base of unsuffixed === form ? [form] : [form, unsuffixed]) {
      const prefix = INDONESIAN_PREFIX.exec(base)?.[0];
      if (!prefix) {
        if (base !== form) stems.push(base);
        continue;
      }
      const root = base.slice(prefix.length);
      stems.push(root);
      if (base !== form) stems.push(base);
      // meny- stands for a dropped s- ("menyilet" ← "silet"), mem- for a dropped p- ("memukul" ← "pukul").
      if (prefix === 'meny') stems.push(`s${root}`);
      if (prefix === 'mem') stems.push(`p${root}`);
      if (prefix === 'men') stems.push(`t${root}`);
    }
  }
  return stems;
}

// ─── Compilation ────────────────────────────────────────────────────────────

interface WordPattern {
  readonly word: string;
  readonly prefix: boolean;
}
interface PhraseEntry {
  readonly words: readonly WordPattern[];
  readonly group: number;
  readonly source: string;
}

/** A phrase index: phrases keyed by their first word (exact, prefix or suffix), plus unspaced substrings for Japanese. */
class PhraseIndex {
  private readonly exact = new Map<string, PhraseEntry[]>();
  private readonly prefixes = new Map<string, PhraseEntry[]>();
  private readonly substrings: PhraseEntry[] = [];
  /** One-word terms written `*ending`, keyed by their last three characters (German compounds: "*vergewaltigung"). */
  private readonly suffixes = new Map<string, PhraseEntry[]>();
  private longestPrefix = 0;

  add(phrase: string, group: number): void {
    const normalized = normalizeText(phrase);
    if (CJK.test(normalized)) {
      this.substrings.push({ words: [{ word: cjkForm(normalized.replace(/\*/g, '').trim()), prefix: false }], group, source: phrase });
      return;
    }
    const suffix = /^\*([\p{L}\p{M}\p{N}]{4,})$/u.exec(normalized.trim());
    if (suffix) {
      const word = suffix[1]!;
      const key = word.slice(-3);
      const entry = { words: [{ word, prefix: false }], group, source: phrase };
      const list = this.suffixes.get(key);
      if (list) list.push(entry);
      else this.suffixes.set(key, [entry]);
      return;
    }
    const words = normalized
      .split(/[^\p{L}\p{M}\p{N}*]+/u)
      .filter(Boolean)
      .map((raw) => ({ word: raw.replace(/\*/g, ''), prefix: raw.endsWith('*') }))
      .filter((word) => word.word.length > 0);
    const first = words[0];
    if (!first) throw new Error(`policy term ${JSON.stringify(phrase)} has no letters or digits to match`);
    if (first.prefix && first.word.length < 3) throw new Error(`policy term ${JSON.stringify(phrase)}: a prefix needs at least 3 characters`);
    const entry = { words, group, source: phrase };
    const map = first.prefix ? this.prefixes : this.exact;
    const list = map.get(first.word);
    if (list) list.push(entry);
    else map.set(first.word, [entry]);
    if (first.prefix) this.longestPrefix = Math.max(this.longestPrefix, first.word.length);
  }

  /** Calls `onHit` for every phrase found in `tokens` (each token given as its alternative forms), skipping masked positions. */
  match(tokens: readonly string[][], masked: Uint8Array | undefined, onHit: (entry: PhraseEntry, start: number, end: number) => void): void {
    for (let start = 0; start < tokens.length; start++) {
      if (masked?.[start]) continue;
      for (const form of tokens[start]!) {
        const candidates = this.exact.get(form);
        if (candidates) this.verify(candidates, tokens, masked, start, onHit);
        const limit = Math.min(form.length, this.longestPrefix);
        for (let length = 3; length <= limit; length++) {
          const prefixed = this.prefixes.get(form.slice(0, length));
          if (prefixed) this.verify(prefixed, tokens, masked, start, onHit);
        }
        const endings = this.suffixes.get(form.slice(-3));
        if (endings) for (const entry of endings) if (form.endsWith(entry.words[0]!.word)) onHit(entry, start, start + 1);
      }
    }
  }

  matchSubstrings(text: string, onHit: (entry: PhraseEntry) => void): void {
    for (const entry of this.substrings) if (text.includes(entry.words[0]!.word)) onHit(entry);
  }

  substringWords(): string[] {
    return this.substrings.map((entry) => entry.words[0]!.word);
  }

  private verify(candidates: readonly PhraseEntry[], tokens: readonly string[][], masked: Uint8Array | undefined, start: number, onHit: (entry: PhraseEntry, start: number, end: number) => void): void {
    for (const entry of candidates) {
      let ok = true;
      for (let offset = 1; offset < entry.words.length; offset++) {
        const position = start + offset;
        const pattern = entry.words[offset]!;
        const forms = tokens[position];
        if (!forms || masked?.[position] || !forms.some((form) => (pattern.prefix ? form.startsWith(pattern.word) : form === pattern.word))) {
          ok = false;
          break;
        }
      }
      if (ok) onHit(entry, start, start + entry.words.length);
    }
  }
}

interface CompiledRule {
  /** Each element is a set of group indices, any one of which satisfies it. */
  readonly all: readonly (readonly number[])[];
  readonly none: readonly number[];
}

/** A category's own terms behind its own guards, matched in a pass of their own. */
interface GuardedTerms {
  readonly phrases: PhraseIndex;
  readonly guards: PhraseIndex;
}

interface CompiledCategory {
  readonly id: ModerationCategory;
  readonly severity: Severity;
  readonly relaxable: boolean;
  readonly enabled: boolean;
  readonly termGroup: number;
  readonly rules: readonly CompiledRule[];
  readonly order: number;
}

export interface CompiledPolicy {
  readonly version: number;
  /** @internal */ readonly categories: readonly CompiledCategory[];
  /** @internal */ readonly groupNames: readonly string[];
  /** @internal */ readonly phrases: PhraseIndex;
  /** @internal */ readonly guards: PhraseIndex;
  /** @internal */ readonly patterns: ReadonlyArray<{ readonly regex: RegExp; readonly group: number }>;
  /** @internal */ readonly guarded: readonly GuardedTerms[];
}

/** Validates and compiles a policy for `moderateText`. Throws an Error naming every problem in a bad policy. */
export function compilePolicy(policy: SafetyPolicy): CompiledPolicy {
  const parsed = policySchema.safeParse(policy);
  if (!parsed.success) {
    throw new Error(`invalid safety policy: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(policy)'}: ${issue.message}`).join('; ')}`);
  }
  const valid = parsed.data;
  const groupNames: string[] = [];
  const conceptGroups = new Map<string, number>();
  const phrases = new PhraseIndex();
  const patterns: Array<{ regex: RegExp; group: number }> = [];
  for (const [name, concept] of Object.entries(valid.concepts ?? {})) {
    const group = groupNames.push(`concept:${name}`) - 1;
    conceptGroups.set(name, group);
    for (const term of concept.terms) phrases.add(term, group);
    for (const source of concept.patterns ?? []) patterns.push({ regex: new RegExp(source, 'u'), group });
  }
  const guarded: GuardedTerms[] = [];
  const groupsOf = (element: RuleElement) => (Array.isArray(element) ? element : [element]).map((name) => conceptGroups.get(name)!);
  const categories = valid.categories.map((category, order): CompiledCategory => {
    const termGroup = groupNames.push(`category:${category.id}`) - 1;
    let target = phrases;
    if (category.allow?.length) {
      const own = { phrases: new PhraseIndex(), guards: new PhraseIndex() };
      for (const phrase of category.allow) own.guards.add(phrase, -1);
      guarded.push(own);
      target = own.phrases;
    }
    for (const term of category.terms ?? []) target.add(term, termGroup);
    const rules = (category.rules ?? []).map((rule) => ({ all: rule.all.map(groupsOf), none: (rule.none ?? []).flatMap(groupsOf) }));
    return { id: category.id, severity: category.severity, relaxable: category.relaxable, enabled: category.enabled, termGroup, rules, order };
  });
  const guards = new PhraseIndex();
  for (const phrase of valid.allow ?? []) guards.add(phrase, -1);
  return { version: valid.version ?? 1, categories, groupNames, phrases, guards, patterns, guarded };
}

// ─── Matching ───────────────────────────────────────────────────────────────

export interface ModerationResult {
  /** Any enabled category matched (ignores the moderation level). */
  flagged: boolean;
  categories: Record<ModerationCategory, boolean>;
  /** 0..1: 0.99 for a category term, 0.9 for a full co-occurrence rule, below 0.5 for a partial one. */
  categoryScores: Record<ModerationCategory, number>;
  /** The category that blocks this prompt at the given moderation level (highest severity first), or null. */
  blocked: null | { category: ModerationCategory; severity: Severity; reason: string };
}

/** Which term groups a text hits, with the first phrase that hit each (for the reason). */
function findGroups(policy: CompiledPolicy, text: string): Map<number, string> {
  const hits = new Map<number, string>();
  const hit = (group: number, source: string) => {
    if (!hits.has(group)) hits.set(group, source);
  };
  const base = normalizeText(text);
  const leet = deLeet(base);
  // Long prompts repeat their words: each distinct token is expanded once.
  const formsOf = new Map<string, string[]>();
  const expand = (token: string) => {
    let forms = formsOf.get(token);
    if (!forms) formsOf.set(token, (forms = tokenForms(token)));
    return forms;
  };
  for (const variant of [...new Set([base, leet, ...unmasked(leet)])]) {
    const tokens = tokenize(variant).map(expand);
    const masked = new Uint8Array(tokens.length);
    policy.guards.match(tokens, undefined, (_entry, start, end) => masked.fill(1, start, end));
    policy.phrases.match(tokens, masked, (entry) => hit(entry.group, entry.source));
    for (const own of policy.guarded) {
      const ownMask = masked.slice();
      own.guards.match(tokens, undefined, (_entry, start, end) => ownMask.fill(1, start, end));
      own.phrases.match(tokens, ownMask, (entry) => hit(entry.group, entry.source));
    }
  }
  if (CJK.test(base)) {
    const cjk = withoutSubstrings(cjkForm(base), policy.guards);
    policy.phrases.matchSubstrings(cjk, (entry) => hit(entry.group, entry.source));
    for (const own of policy.guarded) own.phrases.matchSubstrings(withoutSubstrings(cjk, own.guards), (entry) => hit(entry.group, entry.source));
  }
  for (const { regex, group } of policy.patterns) {
    const found = regex.exec(base);
    if (found) hit(group, found[0]);
  }
  return hits;
}

// A letter hidden behind asterisks inside a word: "n*de", "p**n", "r*pe".
const MASKED_LETTER = /(?<=\p{L})\*{1,2}(?=\p{L})/gu;
// Each reading fills one star with the first letter, two with the pair: "n*de" → "nude", "p**n" → "porn".
const MASK_FILLS: ReadonlyArray<readonly [string, string]> = [['a', 'ai'], ['e', 'ea'], ['i', 'ou'], ['o', 'or'], ['u', 'oo']];

/** The readings of a text with masked letters filled in (empty when nothing is masked). */
function unmasked(text: string): string[] {
  MASKED_LETTER.lastIndex = 0;
  if (!MASKED_LETTER.test(text)) return [];
  return MASK_FILLS.map(([one, two]) => text.replace(MASKED_LETTER, (stars) => (stars.length === 1 ? one : two)));
}

function withoutSubstrings(text: string, guards: PhraseIndex): string {
  let result = text;
  for (const guard of guards.substringWords()) if (result.includes(guard)) result = result.split(guard).join(' ');
  return result;
}

const emptyRecord = <T>(value: T) => Object.fromEntries(MODERATION_CATEGORIES.map((id) => [id, value])) as Record<ModerationCategory, T>;

/** Moderates one prompt. `moderation: "low"` lets relaxable categories through (they are still reported as flagged). */
export function moderateText(policy: CompiledPolicy, text: string, options: { moderation?: 'auto' | 'low' } = {}): ModerationResult {
  const hits = findGroups(policy, text);
  const categories = emptyRecord(false);
  const categoryScores = emptyRecord(0);
  let blocking: { category: CompiledCategory; evidence: string } | undefined;
  for (const category of policy.categories) {
    if (!category.enabled) continue;
    let score = 0;
    let evidence: string | undefined;
    const direct = hits.get(category.termGroup);
    if (direct !== undefined) {
      score = 0.99;
      evidence = JSON.stringify(direct);
    }
    for (const rule of category.rules) {
      if (score >= 0.9) break;
      if (rule.none.some((group) => hits.has(group))) continue;
      const found = rule.all.map((element) => element.map((group) => hits.get(group)).find((source) => source !== undefined));
      const present = found.filter((source) => source !== undefined).length;
      if (present === rule.all.length) {
        score = 0.9;
        evidence = found.map((source) => JSON.stringify(source)).join(' + ');
      } else {
        score = Math.max(score, (0.45 * present) / rule.all.length);
      }
    }
    categoryScores[category.id] = score;
    if (score < 0.9 || evidence === undefined) continue;
    categories[category.id] = true;
    if (options.moderation === 'low' && category.relaxable) continue;
    const better =
      !blocking ||
      SEVERITY_RANK[category.severity] > SEVERITY_RANK[blocking.category.severity] ||
      (SEVERITY_RANK[category.severity] === SEVERITY_RANK[blocking.category.severity] && category.order < blocking.category.order);
    if (better) blocking = { category, evidence };
  }
  const flagged = Object.values(categories).some(Boolean);
  const blocked = blocking
    ? {
        category: blocking.category.id,
        severity: blocking.category.severity,
        reason: `The prompt matches the "${blocking.category.id}" policy (severity ${blocking.category.severity}): ${blocking.evidence}.`,
      }
    : null;
  return { flagged, categories, categoryScores, blocked };
}

export { DEFAULT_POLICY } from './default-policy.js';
