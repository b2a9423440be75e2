/** Reply languages. */
export type Language = 'zh' | 'en';

const HAN = /\p{Script=Han}/gu;
const LATIN_WORD = /[A-Za-z]+/g;

/**
 * The message's language: Chinese when it has at least as many Han characters as Latin words
 * (so "iPhone 15 屏幕碎了" is Chinese and "I bought a 手机" is English), else English.
 */
export function detectLanguage(text: string): Language {
  const han = text.match(HAN)?.length ?? 0;
  const words = text.match(LATIN_WORD)?.length ?? 0;
  return han > 0 && han >= words ? 'zh' : 'en';
}

/** The language a locale asks for (`zh-CN`, `zh_TW`, `en-GB` …), or undefined for any other. */
export function localeLanguage(locale: string | undefined): Language | undefined {
  const lang = locale?.toLowerCase().split(/[-_]/)[0];
  return lang === 'zh' || lang === 'en' ? lang : undefined;
}
