// Reasoning ("thinking") that arrives inside the answer text, split from the answer while it streams.
// Servers send reasoning in their own fields when they have a parser for the model (Ollama native
// `message.thinking` / `thinking`, Ollama /v1 `delta.reasoning`, vLLM / llama.cpp / LM Studio /
// DeepSeek `reasoning_content`); the backend reads those. Without a parser (older Ollama, a model
// imported from a GGUF, an OpenAI-compatible server started without a reasoning parser) the model's
// raw text reaches us: `<think>…</think>` at the very start of the content. This module handles that
// text form:
// - the opening tag may follow leading whitespace and may be cut anywhere across chunks;
// - a reasoning block still open when the stream ends is reasoning, not answer;
// - a tag that appears later in the answer (a model explaining `<think>` tags) is answer text;
// - DeepSeek-R1 style templates put the opening tag into the prompt, so the output starts inside the
//   reasoning and only has the closing tag (`implicitOpen`).
// Tag pairs seen in the wild: `<think>` (DeepSeek-R1, Qwen3, QwQ, Phi-4-reasoning, most GGUF chat
// templates), `<thinking>` (some fine-tunes), `◁think▷` (Kimi-VL), `<seed:think>` (Seed-OSS),
// `[THINK]` (Mistral Magistral).
// Pure: no I/O; O(new text) per push.

export interface ReasoningSplit {
  /** Answer text released by this push (may be ''). */
  content: string;
  /** Reasoning text released by this push (may be ''). */
  thinking: string;
  /** Set once, when an orphan closing tag showed that everything released as `content` so far was
   * reasoning (only with `implicitOpen: 'auto'`): the consumer moves that text to its thinking. */
  contentWasThinking?: boolean;
}

export interface ThinkTagOptions {
  /**
   * How to treat output that starts without an opening tag:
   * - `false` (default): such output is answer text from the first character;
   * - `true`: the prompt already opened the reasoning block (the model's template ends with an
   *   opening tag, as DeepSeek-R1's does): the output is reasoning until the closing tag;
   * - `'auto'`: answer text, unless a closing tag arrives at the start of a line with no opening
   *   tag before it and outside any code; then everything so far was reasoning
   *   (`contentWasThinking`).
   */
  implicitOpen?: boolean | 'auto';
}

export const THINK_TAGS: ReadonlyArray<readonly [open: string, close: string]> = [
  ['<think>', '</think>'],
  ['<thinking>', '</thinking>'],
  ['◁think▷', '◁/think▷'],
  ['<seed:think>', '</seed:think>'],
  ['[THINK]', '[/THINK]'],
];

type State = 'start' | 'thinking' | 'afterThinking' | 'answer';

/** Length of the longest suffix of `s` that is a proper prefix of `tag` (text to hold back). */
function partialTagSuffix(s: string, tag: string): number {
  const max = Math.min(s.length, tag.length - 1);
  for (let n = max; n > 0; n--) if (tag.startsWith(s.slice(s.length - n))) return n;
  return 0;
}

/**
 * Streaming splitter of `<think>…</think>` reasoning from answer text. Feed every content piece
 * to `push` in order, then call `end` once; concatenating the `content` (and `thinking`) of all
 * results gives the answer (and the reasoning).
 *
 * Example: pushes `<think>`, `\nThe user greets me.`, ` I should greet back.\n`, `</think>`,
 * `\n\n`, `Hello!` give the answer `Hello!` and the reasoning
 * `\nThe user greets me. I should greet back.\n`.
 */
export class ThinkTagParser {
  private state: State;
  /** Text held back: the undecided start, or a possible partial closing tag. */
  private held = '';
  private close = '';
  /** 'auto' mode: the unfinished last line of the answer, the open code fence, characters seen. */
  private line = '';
  private fence: string | undefined;
  private answerChars = 0;
  private autoDecided = false;
  private readonly auto: boolean;

  constructor(opts: ThinkTagOptions = {}) {
    this.auto = opts.implicitOpen === 'auto';
    if (opts.implicitOpen === true) {
      this.state = 'thinking';
      this.close = THINK_TAGS[0]![1];
    } else {
      this.state = 'start';
    }
  }

  /** True while the text is inside a reasoning block. */
  get inThinking(): boolean { return this.state === 'thinking'; }

  push(text: string): ReasoningSplit {
    const out: ReasoningSplit = { content: '', thinking: '' };
    if (!text) return out;
    this.feed(this.held + text, out);
    return out;
  }

  /** The stream ended: releases what was held. An unclosed reasoning block stays reasoning. */
  end(): ReasoningSplit {
    const out: ReasoningSplit = { content: '', thinking: '' };
    const rest = this.held;
    this.held = '';
    if (this.state === 'thinking') out.thinking = rest;
    else if (this.state === 'start' || this.state === 'answer') out.content = rest;
    // afterThinking: only whitespace was held.
    this.state = 'answer';
    return out;
  }

  private feed(s: string, out: ReasoningSplit): void {
    this.held = '';
    for (;;) {
      switch (this.state) {
        case 'start': {
          const body = s.trimStart();
          if (body === '') { this.held = s; return; }
          const pair = THINK_TAGS.find(([open]) => body.startsWith(open));
          if (pair) {
            this.state = 'thinking';
            this.close = pair[1];
            s = body.slice(pair[0].length);
            continue;
          }
          if (THINK_TAGS.some(([open]) => open.startsWith(body))) { this.held = s; return; }
          this.state = 'answer';
          continue;
        }
        case 'thinking': {
          const i = s.indexOf(this.close);
          if (i < 0) {
            const keep = partialTagSuffix(s, this.close);
            out.thinking += s.slice(0, s.length - keep);
            this.held = s.slice(s.length - keep);
            return;
          }
          out.thinking += s.slice(0, i);
          s = s.slice(i + this.close.length);
          this.state = 'afterThinking';
          continue;
        }
        case 'afterThinking': {
          // The blank line(s) between the reasoning and the answer belong to neither.
          const body = s.trimStart();
          if (body === '') { this.held = s; return; }
          this.state = 'answer';
          this.autoDecided = true;
          s = body;
          continue;
        }
        case 'answer':
          this.answerText(s, out);
          return;
      }
    }
  }

  private answerText(s: string, out: ReasoningSplit): void {
    if (!this.auto || this.autoDecided) { out.content += s; return; }
    // 'auto': look for an orphan closing tag at the start of a line outside fenced code, one line
    // at a time (`line` is the unfinished line released so far), so each push costs O(its text).
    let i = 0;
    while (i < s.length) {
      const nl = s.indexOf('\n', i);
      const piece = nl < 0 ? s.slice(i) : s.slice(i, nl + 1);
      const line = this.line + piece;
      const lead = /^[ \t]*/.exec(line)![0].length;
      const rest = line.slice(lead);
      const close = this.fence ? undefined : THINK_TAGS.find(([, c]) => rest.startsWith(c))?.[1];
      if (close) {
        // Everything before this line was reasoning: the consumer moves what it already got.
        this.autoDecided = true;
        out.contentWasThinking = true;
        // The part of this line before the tag (spaces) and earlier text of this push were content.
        out.thinking += out.content + line.slice(this.line.length, lead);
        out.content = '';
        this.line = '';
        this.state = 'afterThinking';
        this.feed(line.slice(lead + close.length) + s.slice(i + piece.length), out);
        return;
      }
      if (nl < 0) {
        // An unfinished line that may still become a closing tag is held back.
        if (!this.fence && rest && THINK_TAGS.some(([, c]) => c.startsWith(rest))) {
          this.held = piece;
          return;
        }
        out.content += piece;
        this.line = line;
        this.answerChars += piece.length;
        return;
      }
      out.content += piece;
      this.answerChars += piece.length;
      this.trackFence(line);
      this.line = '';
      i = nl + 1;
      if (this.answerChars > AUTO_WINDOW) {
        // A reasoning block this long without its closing tag is not one we can still recognise.
        this.autoDecided = true;
        out.content += s.slice(i);
        return;
      }
    }
  }

  private trackFence(line: string): void {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (!m) return;
    if (!this.fence) this.fence = m[1];
    else if (m[1]![0] === this.fence[0] && m[1]!.length >= this.fence.length && line.trim() === m[1]) this.fence = undefined;
  }
}

/** 'auto' gives up looking for an orphan closing tag after this many answer characters. */
const AUTO_WINDOW = 64_000;
