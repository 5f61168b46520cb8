// The rate-1/2, constraint-length-7 convolutional code (generators 171 and 133
// octal, the NASA/CCSDS and 802.11 code) with a soft-decision Viterbi decoder.
// Written by hand: it is some forty lines, and no maintained npm package offers
// a soft-input decoder for arbitrary short blocks.
//
// Why a code at all: spreading each payload bit over its own chips only adds
// up energy. With the same chips carrying a coded block, the decoder weighs
// every bit's evidence together, so the few weak bits an attack leaves (a
// failing image typically loses 1–5 of 64) are corrected.

const CONSTRAINT = 7;
const STATES = 1 << (CONSTRAINT - 1);
const GENERATORS = [0o171, 0o133] as const;

const parity = (value: number) => {
  let v = value;
  v ^= v >> 4;
  v ^= v >> 2;
  v ^= v >> 1;
  return v & 1;
};

/** Coded bits for `bits` message bits: two per bit, plus two per tail bit that returns the encoder to state 0. */
export const codedLength = (bits: number) => 2 * (bits + CONSTRAINT - 1);

/** The two output bits (as 0/1 in the low two bits: first generator high) on input `bit` from `state`. */
function output(state: number, bit: number): number {
  const register = (bit << (CONSTRAINT - 1)) | state;
  return (parity(register & GENERATORS[0]) << 1) | parity(register & GENERATORS[1]);
}

const nextState = (state: number, bit: number) => ((bit << (CONSTRAINT - 1)) | state) >> 1;

/** Encodes message bits (0/1) into codedLength(bits.length) coded bits (0/1). */
export function encode(bits: Uint8Array): Uint8Array {
  const coded = new Uint8Array(codedLength(bits.length));
  let state = 0;
  for (let i = 0; i < bits.length + CONSTRAINT - 1; i++) {
    const bit = i < bits.length ? bits[i]! : 0;
    const out = output(state, bit);
    coded[2 * i] = out >> 1;
    coded[2 * i + 1] = out & 1;
    state = nextState(state, bit);
  }
  return coded;
}

/**
 * Maximum-likelihood message for soft coded values (positive means 1, larger
 * is surer; for Gaussian noise the correlations themselves are the right
 * weights). `bits` is the message length the block was encoded with.
 */
export function decode(soft: ArrayLike<number>, bits: number): Uint8Array {
  const steps = bits + CONSTRAINT - 1;
  if (soft.length !== 2 * steps) throw new RangeError(`expected ${2 * steps} soft values, got ${soft.length}`);
  let metric = new Float64Array(STATES).fill(-Infinity);
  let next = new Float64Array(STATES);
  metric[0] = 0;
  // For each step and state reached, the input bit of the surviving path (the predecessor follows from it).
  const chosen = new Uint8Array(steps * STATES);
  const predecessor = new Uint8Array(steps * STATES);
  for (let step = 0; step < steps; step++) {
    const a = soft[2 * step]!;
    const b = soft[2 * step + 1]!;
    next.fill(-Infinity);
    const inputs = step < bits ? 2 : 1;
    for (let state = 0; state < STATES; state++) {
      const here = metric[state]!;
      if (here === -Infinity) continue;
      for (let bit = 0; bit < inputs; bit++) {
        const out = output(state, bit);
        const candidate = here + (out & 2 ? a : -a) + (out & 1 ? b : -b);
        const to = nextState(state, bit);
        if (candidate > next[to]!) {
          next[to] = candidate;
          chosen[step * STATES + to] = bit;
          predecessor[step * STATES + to] = state;
        }
      }
    }
    [metric, next] = [next, metric];
  }
  const message = new Uint8Array(bits);
  let state = 0;
  for (let step = steps - 1; step >= 0; step--) {
    if (step < bits) message[step] = chosen[step * STATES + state]!;
    state = predecessor[step * STATES + state]!;
  }
  return message;
}
