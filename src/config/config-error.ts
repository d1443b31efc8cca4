// A config that cannot be used: every problem found, each with its file, line, column and key.
import { PbxgateError } from '../errors.ts';

export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is the whole file (it cannot be read). */
  readonly line: number;
  /** 1-based; 0 when `line` is 0. */
  readonly column: number;
  /** Dotted path like `fraud.blacklistMinutez` or `stun.listen.1`; '' for the file or YAML syntax. */
  readonly key: string;
  /** One line. */
  readonly message: string;
}

/** `FILE:LINE:COL: KEY: MESSAGE`, leaving out the position or the key where there is none. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const where =
    problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  return problem.key === ''
    ? `${where}: ${problem.message}`
    : `${where}: ${problem.key}: ${problem.message}`;
}

export class ConfigError extends PbxgateError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super('PBX_ERR_CONFIG', problems.map(formatConfigProblem).join('\n'), options);
    this.name = 'ConfigError';
    this.problems = Object.freeze(problems.map((problem) => Object.freeze({ ...problem })));
  }
}
