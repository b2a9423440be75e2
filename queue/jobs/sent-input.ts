/**
 * A job's opened input as the JSON text the router sealed (a lone call's input, or a group's
 * inputs as one array), kept as text by the worker. Function code across a thread or process
 * boundary reads the text itself (`gpu-pool/batch-text.ts` splices it into the batch it is
 * sent), so the worker neither parses an input nor writes it out again: ~30 µs per
 * 30-transaction input (`test/bench/hand-off-bench.ts`). It is parsed here, once for the whole
 * group, only where function code runs on the worker's own thread (`isolation: inline`).
 */
export class SentJson {
  private parsed: unknown;
  private read = false;

  /** `text` must be JSON: it is what the router sealed, authenticated by the cipher on opening. */
  constructor(readonly text: string) {}

  /** The input of a lone call (`index` undefined), or item `index` of a group. */
  input(index?: number): SentInput {
    return new SentInput(this, index);
  }

  /** The parsed value; parsed on the first call only. */
  value(): unknown {
    if (!this.read) {
      this.parsed = JSON.parse(this.text);
      this.read = true;
    }
    return this.parsed;
  }
}

/** One call's input inside a {@link SentJson}: the whole text, or item `index` of its array. */
export class SentInput {
  constructor(
    readonly json: SentJson,
    readonly index?: number,
  ) {}

  value(): unknown {
    const v = this.json.value();
    return this.index === undefined ? v : (v as unknown[])[this.index];
  }
}

/** An input as function code takes it: a {@link SentInput} parsed, anything else as it is. */
export const inputValue = (input: unknown): unknown => (input instanceof SentInput ? input.value() : input);
