// The benchmarks' knobs: environment variables with defaults, refused with a clear message when
// they do not parse. Lists are comma or space separated.

export type Env = Readonly<Record<string, string | undefined>>;

/** A positive number knob; `integer` refuses fractions. */
export function positiveKnob(env: Env, name: string, fallback: number, integer = true): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${text}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

/** A list knob, comma or space separated, each item one of `allowed`. */
export function listKnob<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: readonly T[],
): T[] {
  const text = env[name];
  if (text === undefined || text.trim() === '') return [...fallback];
  const picked: T[] = [];
  for (const item of text.split(/[\s,]+/).filter((s) => s !== '')) {
    const known = allowed.find((a) => a === item);
    if (known === undefined) {
      throw new Error(`${name}=${text}: "${item}" is not one of ${allowed.join(', ')}`);
    }
    if (!picked.includes(known)) picked.push(known);
  }
  return picked;
}

/** A knob that takes one of `allowed`. */
export function oneOfKnob<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const known = allowed.find((a) => a === text.trim());
  if (known === undefined)
    throw new Error(`${name}=${text}: expected one of ${allowed.join(', ')}`);
  return known;
}

/** A list of positive integers, comma or space separated. */
export function numbersKnob(env: Env, name: string, fallback: readonly number[]): number[] {
  const text = env[name];
  if (text === undefined || text.trim() === '') return [...fallback];
  return text
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map((item) => {
      const value = Number(item);
      if (!Number.isInteger(value) || value <= 0) {
        throw new Error(`${name}=${text}: "${item}" is not a positive integer`);
      }
      return value;
    });
}
