// Reference vectors of an int8 BERT-style embedding model, computed with transformers.js
// (tokenizer + ONNX Runtime for Node) from a local model folder, no network.
//
//   node make-reference.mjs MODELS_DIR MODEL TEXTS.jsonl OUT.jsonl MAX_TOKENS POOLING QUERY_PREFIX PASSAGE_PREFIX
//
// MODELS_DIR/MODEL holds config.json, tokenizer.json, tokenizer_config.json and
// onnx/model_quantized.onnx. TEXTS.jsonl has one {"text": ...} a line (the 60 texts of
// minilm-int8-reference.jsonl); two texts longer than 512 word pieces are added after them, made
// of its last two texts (T[58] + "\n\n" + T[59] and T[59] + " " + T[58]), so that truncation at
// 512 is tested too. For every text and every
// role (query: QUERY_PREFIX + text, passage: PASSAGE_PREFIX + text, and none: the bare text when
// both prefixes are non-empty) a vector; one output line per text:
//   {"text", "query": R, "passage": R[, "none": R]}, R = {"tokens", "total_tokens", "vector"}
// tokens = word pieces fed to the model ([CLS] and [SEP] included), total_tokens = before
// truncation. One text per model run (batch of one, no padding). Truncation as the Hugging Face
// tokenizers library does it for one sequence (the sentence-transformers recipe): the word pieces
// cut to MAX_TOKENS - 2, then [CLS] ... [SEP]. transformers.js' own truncation cuts the encoded
// ids, dropping the final [SEP], so texts over the limit are cut here; every text under it is
// also run through the feature-extraction pipeline and must give the same vector.
import { AutoModel, AutoTokenizer, Tensor, env, mean_pooling, pipeline } from '@huggingface/transformers';
import fs from 'node:fs';
import path from 'node:path';

const [modelsDir, modelName, textsFile, outFile, maxTokensArg, pooling, queryPrefix, passagePrefix] =
    process.argv.slice(2);
if (!passagePrefix && passagePrefix !== '') {
    console.error('usage: node make-reference.mjs MODELS_DIR MODEL TEXTS.jsonl OUT.jsonl MAX_TOKENS mean|cls QUERY_PREFIX PASSAGE_PREFIX');
    process.exit(2);
}
const maxTokens = Number.parseInt(maxTokensArg, 10);
if (!(maxTokens >= 8) || !['mean', 'cls'].includes(pooling)) {
    throw new Error(`bad MAX_TOKENS ${maxTokensArg} or POOLING ${pooling}`);
}

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.resolve(modelsDir) + '/';

const tokenizer = await AutoTokenizer.from_pretrained(modelName);
const model = await AutoModel.from_pretrained(modelName, { dtype: 'q8', device: 'cpu' });
const extractor = await pipeline('feature-extraction', modelName, { dtype: 'q8', device: 'cpu' });

const [clsId, sepId] = tokenizer.convert_tokens_to_ids(['[CLS]', '[SEP]']);

/** ids (with [CLS] and [SEP]) of one text, cut like the HF tokenizers library does. */
function encode(input) {
    const enc = tokenizer(input, { add_special_tokens: true, padding: false, truncation: false });
    let ids = Array.from(enc.input_ids.data, Number);
    const total = ids.length;
    if (ids[0] !== clsId || ids[total - 1] !== sepId) {
        throw new Error(`expected [CLS] ... [SEP] around ${JSON.stringify(input.slice(0, 40))}`);
    }
    if (total > maxTokens) {
        ids = [...ids.slice(0, maxTokens - 1), sepId];
    }
    return { ids, total };
}

/** The pooled, L2-normalised vector of one sequence of ids: (1, n) -> (d,). */
async function embedIds(ids) {
    const n = ids.length;
    const shape = [1, n];
    const inputs = {
        input_ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), shape),
        attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), shape),
        token_type_ids: new Tensor('int64', new BigInt64Array(n), shape),
    };
    const out = await model(inputs);
    const hidden = out.last_hidden_state; // (1, n, d)
    const pooled = pooling === 'mean' ? mean_pooling(hidden, inputs.attention_mask) : hidden.slice(null, 0);
    return Array.from(pooled.normalize(2, -1).data);
}

function cosine(a, b) {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
}

const texts = fs.readFileSync(textsFile, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).text);
if (texts.length !== 60) {
    throw new Error(`expected the 60 texts of minilm-int8-reference.jsonl, found ${texts.length}`);
}
texts.push(texts[58] + '\n\n' + texts[59], texts[59] + ' ' + texts[58]);
const roles = [['query', queryPrefix], ['passage', passagePrefix]];
if (queryPrefix !== '' && passagePrefix !== '') {
    roles.push(['none', '']);
}
const lines = [];
let pipelineChecks = 0;
for (const text of texts) {
    const line = { text };
    for (const [role, prefix] of roles) {
        const input = prefix + text;
        const { ids, total } = encode(input);
        const vector = await embedIds(ids);
        if (total <= maxTokens) {
            const viaPipeline = Array.from((await extractor(input, { pooling, normalize: true })).data);
            const c = cosine(vector, viaPipeline);
            if (!(c > 0.999999)) {
                throw new Error(`pipeline and direct run differ (cosine ${c}) for ${JSON.stringify(input.slice(0, 40))}`);
            }
            pipelineChecks++;
        }
        // 6 significant digits: a cosine error below 1e-10
        line[role] = { tokens: ids.length, total_tokens: total, vector: vector.map((x) => Number(x.toPrecision(6))) };
    }
    lines.push(JSON.stringify(line));
}
fs.writeFileSync(outFile, lines.join('\n') + '\n');
console.error(`${modelName}: ${texts.length} texts x ${roles.length} roles -> ${outFile};`
    + ` ${pipelineChecks} also checked through pipeline('feature-extraction')`);
