// The official `openai` npm package against `pocketrag serve` (started by OpenAiSdkClientTest).
// Usage: node openai-client.mjs BASE_URL API_KEY
// Prints one JSON object: what the SDK returned, and the class, status and message of each error it threw.
// It asserts nothing itself: the JUnit test checks the report.
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const report = {};

function describe(e) {
  return { class: e?.constructor?.name, status: e?.status ?? null, message: String(e?.message ?? e),
    code: e?.code ?? null, param: e?.param ?? null, type: e?.type ?? null };
}

async function expectError(name, call) {
  try {
    await call();
    report[name] = { class: null };
  } catch (e) {
    report[name] = describe(e);
  }
}

const models = await client.models.list();
report.models = models.data.map((m) => ({ id: m.id, object: m.object, owned_by: m.owned_by }));
const chatModel = models.data[0].id;
const messages = [{ role: "user", content: "Once upon a time, a little girl" }];

const plain = await client.chat.completions.create({ model: chatModel, messages, max_tokens: 24, temperature: 0, seed: 7 });
report.chat = { object: plain.object, content: plain.choices[0].message.content, role: plain.choices[0].message.role,
  finish_reason: plain.choices[0].finish_reason, usage: plain.usage };

const stream = await client.chat.completions.create({ model: chatModel, messages, max_tokens: 24, temperature: 0, seed: 7,
  stream: true, stream_options: { include_usage: true } });
let content = "", chunks = 0, finish = null, usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) {
    content += chunk.choices[0].delta?.content ?? "";
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
report.stream = { content, chunks, finish_reason: finish, usage };

const embeddingModel = models.data.find((m) => m.id !== chatModel)?.id ?? chatModel;
const emb = await client.embeddings.create({ model: embeddingModel, input: ["The car insurance renews in March.", "Dentist on Tuesday"] });
report.embeddings = { count: emb.data.length, dims: emb.data.map((d) => d.embedding.length),
  norms: emb.data.map((d) => Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0))), first: emb.data[0].embedding.slice(0, 4) };
// without a format (above) the SDK asks for base64 and decodes it; asked for floats, the server sends JSON numbers
const embFloat = await client.embeddings.create({ model: embeddingModel, input: "The car insurance renews in March.",
  encoding_format: "float" });
report.embeddings.float_first = embFloat.data[0].embedding.slice(0, 4);

await expectError("bad_request", () => client.chat.completions.create({ model: chatModel, messages, temperature: 5 }));
await expectError("unauthorized", () => new OpenAI({ baseURL, apiKey: "wrong-key-0123456789abcdef", maxRetries: 0 }).models.list());
await expectError("not_found", () => client.models.retrieve("no-such-model"));

// queue full: the server lets one request use the model and none wait (--queue 0). While a streamed answer holds
// the model (its first chunk has come), three more requests are refused with 429; then the stream is read to its end.
const holder = await client.chat.completions.create({ model: chatModel, messages, max_tokens: 400, temperature: 0.8,
  seed: 1, stream: true });
const it = holder[Symbol.asyncIterator]();
await it.next();
const settled = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => client.chat.completions.create({
  model: chatModel, messages, max_tokens: 8, temperature: 0, seed: i })));
let rest = 0;
for (let r = await it.next(); !r.done; r = await it.next()) rest++;
report.rate_limit = { refused: settled.map((s) => (s.status === "fulfilled" ? { class: "ok" } : describe(s.reason))),
  holder_chunks_after: rest };
// and once the model is free again, a request gets through
const after = await client.chat.completions.create({ model: chatModel, messages, max_tokens: 4, temperature: 0 });
report.rate_limit.after = after.choices[0].finish_reason;

console.log(JSON.stringify(report));
