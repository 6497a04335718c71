// Which installed models the chat offers, and the reasoning ("thinking") control each one allows,
// from what the server says about the model: `/api/tags` `capabilities` (newer servers) or
// `/api/show` `capabilities`, `thinking: {values, default}` and `template`. Pure.
import { isInstructModel } from '../fim/templates';
import { THINK_TAGS } from '../llm/reasoning';
import type { ThinkSetting } from '../llm/backend';
import type { ThinkingInfo } from '../llm/facts';

export type ChatModelKind =
  /** A chat (instruct) model. */
  | 'chat'
  /** A base / fill-in-the-middle code model: it answers, but was not tuned to chat. Offered with a note. */
  | 'base'
  /** Cannot chat at all (embedding-only, image generation: no `completion` capability). Never offered. */
  | 'none';

/** `-base`, `:code`, `-code` tags and families published only as base/FIM models (Ollama library). */
const BASE_NAME = /(^|[-_:.\/])(base|code)($|[-_:.])|(^|\/)(starcoder2?|stable-code|codegemma:2b|santacoder|tinystarcoder)/i;

/**
 * What a model is for the chat. Without capabilities (an OpenAI-compatible server, an old Ollama
 * whose /api/show failed) a model is offered as a chat model: nothing says otherwise.
 * Rules: no `completion` -> 'none' (`embedding` only, `image` generation); `insert` (FIM) with a
 * base/code tag and no instruct/chat tag -> 'base'; otherwise 'chat'.
 */
export function classifyChatModel(name: string, capabilities: readonly string[] | undefined): ChatModelKind {
  if (!capabilities) return 'chat';
  if (!capabilities.includes('completion')) return 'none';
  if (BASE_NAME.test(name) && !isInstructModel(name) && (capabilities.includes('insert') || !capabilities.includes('tools'))) return 'base';
  return 'chat';
}

/** The user's choice: the model's default (nothing sent), on, off, or a level. */
export type ThinkChoice = 'default' | 'on' | 'off' | `level:${string}`;

/**
 * The reasoning choices a model allows, in menu order, or [] when it has no thinking control.
 * - `thinking.values` present: exactly those (true -> 'on', false -> 'off', strings -> levels) plus
 *   'default'; a value outside them is a 400 on older servers and silently ignored on newer ones.
 * - no `thinking` metadata but the `thinking` capability: 'default', 'on', 'off' (think:false is
 *   accepted by every model; true by thinking models).
 * - neither: [] (sending think:true would be a 400 "does not support thinking").
 */
export function thinkChoices(capabilities: readonly string[] | undefined, thinking: ThinkingInfo | undefined): ThinkChoice[] {
  const values = Array.isArray(thinking?.values) ? thinking!.values : undefined;
  if (values) {
    const out: ThinkChoice[] = ['default'];
    for (const v of values) {
      const c: ThinkChoice | undefined = v === true ? 'on' : v === false ? 'off' : typeof v === 'string' && v ? `level:${v}` : undefined;
      if (c && !out.includes(c)) out.push(c);
    }
    // Nothing that turns reasoning on (values [false]: the model cannot think) is no control at all.
    return out.some((c) => c === 'on' || c.startsWith('level:')) ? out : [];
  }
  if (capabilities?.includes('thinking')) return ['default', 'on', 'off'];
  return [];
}

/** The `think` to send for a remembered choice, or undefined (send nothing: the model's default).
 * A choice the model does not offer (any more) sends nothing. */
export function thinkParam(choice: string | undefined, allowed: readonly ThinkChoice[]): ThinkSetting | undefined {
  if (!choice || !allowed.includes(choice as ThinkChoice)) return undefined;
  if (choice === 'on') return true;
  if (choice === 'off') return false;
  if (choice.startsWith('level:')) return choice.slice('level:'.length) as ThinkSetting;
  return undefined;
}

/** True when the model's template itself opens a reasoning block at the end of the prompt
 * (DeepSeek-R1: `<｜Assistant｜><think>\n`), so its output starts inside the reasoning. A template
 * that opens it only under `{{ if .Think }}` leaves that to the server's thinking parser. */
export function templateOpensThinking(template: string | undefined): boolean {
  if (!template) return false;
  const tail = template.replace(/\{\{-?\s*end\s*-?\}\}\s*$/g, '').trimEnd();
  if (/\{\{-?\s*if\s+\.Think/.test(template.slice(Math.max(0, template.length - 80)))) return false;
  return THINK_TAGS.some(([open]) => tail.endsWith(open));
}
