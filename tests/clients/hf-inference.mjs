// Hugging Face's own JS inference client against a TEI-compatible endpoint URL, as users point it
// at a deployment: it posts {"inputs": ...} to the endpoint's root. Prints the answers as JSON lines.
// Usage: node hf-inference.mjs http://127.0.0.1:PORT "text one" "text two"
import { InferenceClient } from "@huggingface/inference";

const [url, ...texts] = process.argv.slice(2);
const endpoint = new InferenceClient().endpoint(url);
for (const text of texts) {
  console.log(JSON.stringify(await endpoint.featureExtraction({ inputs: text })));
}
console.log(JSON.stringify(await endpoint.featureExtraction({ inputs: texts })));
