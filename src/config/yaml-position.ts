// Finds where a zod issue path (`stun.listen.1`) sits in the YAML source, as line and column.
import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** False when the path is not in the file (a missing key): the position is then its parent's. */
  readonly isFound: boolean;
}

type Segment = string | number;

/**
 * The position of the key at `path` (`target: 'key'`, for an unknown key) or of its value (for a
 * bad value; an empty value, a mapping or a list points at its key). A path that leaves the
 * document points at the deepest key found on the way.
 */
export function locatePath(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly Segment[],
  target: 'key' | 'value',
): SourcePosition {
  let node: unknown = doc.contents;
  let keyNode: unknown = undefined;
  for (const segment of path) {
    const step = childOf(doc, node, segment);
    if (step === undefined) return at(lineCounter, keyNode ?? doc.contents, false);
    [keyNode, node] = step;
  }
  if (target === 'key') return at(lineCounter, keyNode ?? node, true);
  return at(lineCounter, isWrittenScalar(node) ? node : (keyNode ?? node), true);
}

/** [key node, value node] of one step down, or undefined when the step is not in the document. */
function childOf(doc: Document, parent: unknown, segment: Segment): [unknown, unknown] | undefined {
  const node = isAlias(parent) ? parent.resolve(doc) : parent;
  if (isMap(node)) {
    const pair = node.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === String(segment),
    );
    return pair === undefined ? undefined : [pair.key, pair.value];
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item: unknown = node.items[segment];
    return item === undefined ? undefined : [item, item];
  }
  return undefined;
}

function startOf(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

// A problem with a mapping or a list (or an empty value) reads best at the key that holds it.
function isWrittenScalar(node: unknown): boolean {
  return (isScalar(node) || isAlias(node)) && node.range != null && node.range[1] > node.range[0];
}

function at(lineCounter: LineCounter, node: unknown, isFound: boolean): SourcePosition {
  const offset = startOf(node);
  if (offset === undefined) return { line: 1, column: 1, isFound };
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col, isFound };
}
