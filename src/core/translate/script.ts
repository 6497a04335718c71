// Is a text already in the target language? A cheap check by writing system (and, for English, by
// its commonest words), so hovering a comment that is already in the target language sends nothing.
// Languages that share a script with the source (French vs Spanish) cannot be told apart this way:
// then the answer is "no" and the model is asked (its prompt says text already in the target stays).
import { languageName } from './types';

const SCRIPTS: Record<string, RegExp> = {
  'Simplified Chinese': /\p{Script=Han}/u, 'Traditional Chinese': /\p{Script=Han}/u, Japanese: /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u,
  Korean: /\p{Script=Hangul}/u, Russian: /\p{Script=Cyrillic}/u, Ukrainian: /\p{Script=Cyrillic}/u, Arabic: /\p{Script=Arabic}/u, Hebrew: /\p{Script=Hebrew}/u,
  Greek: /\p{Script=Greek}/u, Thai: /\p{Script=Thai}/u, Hindi: /\p{Script=Devanagari}/u,
};
const ENGLISH = new Set('the a an and or of to in is are was be for on with this that it as by not if then else from at we you they use used returns return when which'.split(' '));

/** True when `text` reads as already being in `target` (a language name or code). */
export function alreadyInTarget(text: string, target: string): boolean {
  const name = languageName(target);
  const letters = [...text].filter((c) => /\p{L}/u.test(c));
  if (letters.length === 0) return true;
  const script = SCRIPTS[name];
  if (script) {
    const own = letters.filter((c) => script.test(c)).length;
    if (name === 'Japanese' && !/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) return false;
    return own / letters.length >= 0.6;
  }
  if (name === 'English') {
    if (letters.some((c) => !/\p{Script=Latin}/u.test(c))) return false;
    const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
    return words.length >= 3 && words.filter((w) => ENGLISH.has(w)).length / words.length >= 0.2;
  }
  return false;
}
