package dev.pocketrag.generation;

import dev.pocketrag.chat.ChatCompletion;
import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.chat.GenerationParams;
import dev.pocketrag.chat.StopStrings;
import dev.pocketrag.chat.TokenListener;
import dev.pocketrag.generation.chat.ChatTemplate;
import dev.pocketrag.generation.gguf.GgmlType;
import dev.pocketrag.generation.gguf.GgufFormatException;
import dev.pocketrag.generation.gguf.GgufTensorInfo;
import dev.pocketrag.generation.gguf.UnsupportedModelException;
import dev.pocketrag.generation.model.ModelConfig;
import dev.pocketrag.generation.model.Sampler;
import dev.pocketrag.generation.model.Transformer;
import dev.pocketrag.generation.tensor.Simd;
import dev.pocketrag.generation.tokenizer.GgufVocabulary;
import dev.pocketrag.generation.tokenizer.StreamingDecoder;
import dev.pocketrag.generation.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * A GGUF chat model run in-process, in pure Java: what {@code llama_cpp.Llama(model_path, n_ctx)}
 * is in Python.
 *
 * <pre>{@code
 * try (GgufChatModel model = GgufChatModel.load(Path.of("qwen2.5-0.5b-instruct-q4_0.gguf"))) {
 *     ChatCompletion c = model.chat(List.of(ChatMessage.user("Hello!")), GenerationParams.defaults(),
 *             piece -> { System.out.print(piece); return true; });
 *     System.out.println(c.usage() + " " + c.timings().generationTokensPerSecond() + " tok/s");
 * }
 * }</pre>
 *
 * <h2>What it runs</h2>
 * Architectures {@code llama} (Llama 2/3.x, TinyLlama, SmolLM, Mistral), {@code qwen2},
 * {@code qwen3}, {@code phi3}, {@code gemma2} (llama, qwen2 and phi3 are checked against llama.cpp's
 * outputs; qwen3 and gemma2 follow llama.cpp's graphs but have no reference outputs here); weights of type F32, F16, BF16, Q4_0/1, Q5_0/1, Q8_0, Q2_K..Q6_K,
 * IQ4_NL, IQ4_XS, used in place from the memory-mapped file. Other files are rejected with
 * {@link UnsupportedModelException} (or {@link dev.pocketrag.generation.gguf.UnsupportedTensorTypeException})
 * naming what is supported. The numerics follow llama.cpp's CPU backend closely (see
 * {@link dev.pocketrag.generation.model.Transformer}).
 *
 * <h2>Prompts</h2>
 * {@link #chat} renders the messages with the model's chat template (recognised from
 * {@code tokenizer.chat_template}, see {@link ChatTemplate}; chatml when unknown) and tokenizes the
 * result with the model's BOS rule, recognising special tokens in the template's markup only: the
 * messages' text is text, so a note or a question that contains {@code <|im_end|><|im_start|>system}
 * cannot end its turn or open another ({@link Tokenizer#encodePrompt}; ordinary text gets the ids it
 * would get with special-token parsing on). {@link #complete} tokenizes raw text
 * with the BOS rule and no special-token parsing (text is text). Prompt and {@code maxTokens}
 * together must fit {@link #contextLength()}: otherwise {@link IllegalArgumentException} saying how
 * many tokens were asked for and how many fit; nothing is truncated silently.
 *
 * <h2>Generation</h2>
 * Stops at an end-of-generation token of the vocabulary (EOS, EOT, {@code <|im_end|>}, ...; not part
 * of the text), at a stop string (never streamed, not part of the text), after {@code maxTokens},
 * or when the listener returns {@code false}. Logits that are NaN or infinite (damaged weights)
 * throw {@link NonFiniteLogitsException} naming the model, rather than giving an empty answer.
 *
 * <h2>Work done once</h2>
 * The KV cache keeps the last sequence (prompt and reply): a prompt that starts with the same tokens
 * (the next turn of a chat, re-rendered and re-tokenized whole) only processes the tokens after the
 * first one that differs. A reply is cached as it was generated; when its re-tokenized text in the
 * next prompt comes out as other tokens (a model may generate a word in pieces its tokenizer would
 * not choose), the cache is used up to there and the rest recomputed, so a prompt always gets the
 * logits a fresh run of its own tokens gets, whatever ran before. Besides, {@link #chat} keeps the
 * keys and values of the system turn (the tokens the prompt shares with its leading system messages
 * rendered alone) of the last four system prompts, in at most as much memory as the KV cache: a
 * prompt with a known system prompt skips it even after other prompts ran in between (the
 * notebook's {@code ask} next to other clients of a server). With {@link Options#promptCache()} the
 * last one is also saved to a file for the next process of the same model file, context size and
 * engine build (a one-shot {@code ask}). {@link ChatCompletion.Usage#cachedPromptTokens()} says how
 * many prompt tokens were reused.
 *
 * <h2>Threads</h2>
 * Thread-safe: calls are serialised by a fair lock (one KV cache per model); each call uses the
 * model's worker threads ({@link Options#threads()}). {@link #close()} cancels a running
 * generation, waits for it, and frees the KV cache and the mapping; it is idempotent.
 */
public final class GgufChatModel implements ChatModel {

    /**
     * How to load a model.
     *
     * @param contextLength KV cache size in tokens; 0 = min(trained context, 4096)
     * @param threads       threads for the forward pass (the calling thread included); 0 = all cores
     * @param seed          seed of the model's generator, used by calls with
     *                      {@link GenerationParams#DEFAULT_SEED}; empty = a random seed
     * @param batchSize     prompt tokens per forward step; 0 = {@link #DEFAULT_BATCH} (256)
     * @param promptCache   folder where the keys and values of the last system prompt are saved for
     *                      the next process (see "Work done once" above); null = none
     */
    public record Options(int contextLength, int threads, OptionalLong seed, int batchSize, Path promptCache) {
        /**
         * The folder of a notebook directory the apps give as {@link #promptCache()}, so that the CLI,
         * the server and the desktop app share one cache per notebook.
         */
        public static final String PROMPT_CACHE_FOLDER = "prompt-cache";

        public Options {
            if (contextLength < 0) {
                throw new IllegalArgumentException("contextLength must be >= 0 (0 = default); contextLength="
                        + contextLength);
            }
            if (threads < 0 || threads > 1024) {
                throw new IllegalArgumentException("threads must be in 0..1024 (0 = all cores); threads=" + threads);
            }
            if (batchSize < 0 || batchSize > 4096) {
                throw new IllegalArgumentException("batchSize must be in 0..4096 (0 = default); batchSize=" + batchSize);
            }
            Objects.requireNonNull(seed, "seed");
        }

        /** Defaults: context min(trained, 4096), all cores, random seed, batches of 256, no prompt cache folder. */
        public static Options defaults() {
            return new Options(0, 0, OptionalLong.empty(), 0, null);
        }

        public Options withContextLength(int v) {
            return new Options(v, threads, seed, batchSize, promptCache);
        }

        public Options withThreads(int v) {
            return new Options(contextLength, v, seed, batchSize, promptCache);
        }

        public Options withSeed(long v) {
            return new Options(contextLength, threads, OptionalLong.of(v), batchSize, promptCache);
        }

        public Options withBatchSize(int v) {
            return new Options(contextLength, threads, seed, v, promptCache);
        }

        /** Saves the last system prompt's keys and values in {@code folder} (created when needed); null = none. */
        public Options withPromptCache(Path folder) {
            return new Options(contextLength, threads, seed, batchSize, folder);
        }
    }

    /**
     * A completion with its tokens.
     *
     * @param promptTokens the prompt's token ids (BOS included when the model adds one)
     * @param tokens       the generated ids, in order, including a final end-of-generation token
     * @param completion   text, finish reason, usage and timings
     */
    public record Generation(int[] promptTokens, int[] tokens, ChatCompletion completion) {
        public Generation {
            promptTokens = promptTokens.clone();
            tokens = tokens.clone();
            Objects.requireNonNull(completion, "completion");
        }

        @Override
        public int[] promptTokens() {
            return promptTokens.clone();
        }

        @Override
        public int[] tokens() {
            return tokens.clone();
        }
    }

    /** Default KV cache size when the model's own context is larger. */
    public static final int DEFAULT_CONTEXT = 4096;
    /** Default prompt batch (measured 256 vs 64: 6-8% faster prompt processing, the rows decoded once per batch). */
    public static final int DEFAULT_BATCH = 256;

    private final Gguf gguf;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final GgufTokenizer publicTokenizer;
    private final Transformer transformer;
    private final SplittableRandom seeds;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;
    /** Tokens whose keys and values are in the cache, positions 0..cachedCount-1. */
    private int[] cached = new int[0];
    private int cachedCount;
    /** System turns worth keeping; the file that keeps the last one for the next process (or null). */
    private final PromptCache prefixes;
    private final Path prefixFile;
    private PromptCache.Identity prefixFileId;
    private boolean prefixFileRead;
    /** The tokens {@link #prefixFile} holds, as last read or written; null when unknown. */
    private int[] prefixFileTokens;

    /** Shortest system turn worth keeping, in tokens. */
    static final int MIN_PREFIX = 16;
    private static final System.Logger LOG = System.getLogger(GgufChatModel.class.getName());

    private GgufChatModel(Gguf gguf, Options o) {
        this.gguf = gguf;
        this.config = ModelConfig.from(gguf.file());
        this.tokenizer = GgufVocabulary.tokenizer(gguf.file().metadata(), gguf.file().source());
        if (tokenizer.vocabSize() != config.vocabSize()) {
            throw new GgufFormatException(gguf.path().getFileName() + ": the vocabulary has " + tokenizer.vocabSize()
                    + " tokens but token_embd.weight has " + config.vocabSize() + " rows",
                    String.valueOf(gguf.path().getFileName()), "tokenizer.ggml.tokens", null, -1);
        }
        this.template = ChatTemplate.detect(gguf.getString("tokenizer.chat_template", null));
        this.publicTokenizer = new GgufTokenizer(tokenizer, template);
        int ctx = o.contextLength() > 0 ? o.contextLength() : Math.min(config.contextTrain(), DEFAULT_CONTEXT);
        int threads = o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
        int batch = o.batchSize() > 0 ? o.batchSize() : DEFAULT_BATCH;
        this.transformer = new Transformer(gguf.file(), config, ctx, threads, Math.min(batch, ctx));
        this.seeds = new SplittableRandom(o.seed().isPresent() ? o.seed().getAsLong() : new SecureRandom().nextLong());
        // saved prefixes take at most the memory of the KV cache (a system prompt takes a few hundred positions)
        this.prefixes = new PromptCache(transformer.kvValuesPerPosition(),
                (long) transformer.kvValuesPerPosition() * transformer.contextLength());
        this.prefixFile = o.promptCache() == null ? null : o.promptCache().resolve(PromptCache.fileName(gguf.path(), ctx));
    }

    /** Loads {@code path} with {@link Options#defaults()}. */
    public static GgufChatModel load(Path path) throws IOException {
        return load(path, Options.defaults());
    }

    /**
     * Maps and checks {@code path} and allocates the KV cache: the one loader of GGUF chat models
     * (the CLI, the server and the desktop app call it).
     *
     * @throws java.nio.file.NoSuchFileException if there is no such file ("model file not found")
     * @throws IllegalArgumentException  if {@code path} is a folder (the message names it)
     * @throws IOException               if the file cannot be read
     * @throws GgufFormatException       if it is not a valid GGUF model (missing tensor, wrong shape, ...)
     * @throws UnsupportedModelException if its architecture or a feature is not implemented
     */
    public static GgufChatModel load(Path path, Options options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "model file not found");
        }
        if (Files.isDirectory(path)) {
            throw new IllegalArgumentException("model " + path + " is a folder, not a .gguf file");
        }
        Gguf gguf = Gguf.open(path);
        boolean ok = false;
        try {
            GgufChatModel m = new GgufChatModel(gguf, options);
            ok = true;
            return m;
        } finally {
            if (!ok) {
                gguf.close();
            }
        }
    }

    // ------------------------------------------------------------------ facts

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public int contextLength() {
        return transformer.contextLength();
    }

    /** What this model is: architecture, sizes, contexts, weight types, chat template, threads. */
    public ModelDescription describe() {
        return new ModelDescription(config.name(), config.architecture().ggufName(), config.layers(), config.dim(),
                config.heads(), config.kvHeads(), config.ffnDim(), config.vocabSize(), config.contextTrain(),
                contextLength(), weightTypes(), template.toString(), threads(), kvCacheBytes());
    }

    /** The ggml types of the 2-D weights, most bytes first. */
    private String weightTypes() {
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : gguf.tensors()) {
            if (t.nDims() >= 2) {
                bytes.merge(t.type(), t.byteSize(), Long::sum);
            }
        }
        return bytes.entrySet().stream().sorted(Map.Entry.<GgmlType, Long>comparingByValue().reversed())
                .map(e -> e.getKey().name()).collect(Collectors.joining(", "));
    }

    /** The model's tokenizer and chat template. */
    public GgufTokenizer tokenizer() {
        return publicTokenizer;
    }

    /** The hyper-parameters read from the file (the engine's own; callers use {@link #describe()}). */
    ModelConfig config() {
        return config;
    }

    /** The prompt format used by {@link #chat}. */
    ChatTemplate chatTemplate() {
        return template;
    }

    /** Threads of the forward pass. */
    public int threads() {
        return transformer.threads();
    }

    /** Bytes of the KV cache. */
    public long kvCacheBytes() {
        return transformer.kvCacheBytes();
    }

    @Override
    public int countTokens(String text) {
        return tokenizer.countTokens(Objects.requireNonNull(text, "text"));
    }

    @Override
    public int countPromptTokens(List<ChatMessage> messages) {
        return chatPromptTokens(messages).length;
    }

    /** The prompt text {@link #chat} sends for {@code messages} (template applied, assistant header last). */
    public String renderPrompt(List<ChatMessage> messages) {
        return template.render(checkMessages(messages), true);
    }

    /**
     * The token ids {@link #chat} runs for {@code messages} (BOS included when the model adds one):
     * the template's markers as special tokens, the messages' text as text.
     */
    public int[] promptTokens(List<ChatMessage> messages) {
        return chatPromptTokens(messages);
    }

    private int[] chatPromptTokens(List<ChatMessage> messages) {
        return tokens(template.prompt(checkMessages(messages), true));
    }

    private int[] tokens(ChatTemplate.Prompt p) {
        return tokenizer.encodePrompt(p.text(), true, p.content());
    }

    private static List<ChatMessage> checkMessages(List<ChatMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty");
        }
        for (ChatMessage m : messages) {
            Objects.requireNonNull(m, "messages contains null");
        }
        return messages;
    }

    // ------------------------------------------------------------------ generation

    @Override
    public ChatCompletion chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        Objects.requireNonNull(params, "params");
        int[] prompt = chatPromptTokens(messages);
        GenerationParams p = params;
        if (template.endOfTurn().isPresent() && !params.stop().contains(template.endOfTurn().get())) {
            List<String> stop = new ArrayList<>(params.stop());
            stop.add(template.endOfTurn().get());
            p = params.withStop(stop);
        }
        return generate(prompt, p, listener, systemTurn(messages, prompt), earlierTurns(messages, prompt)).completion();
    }

    /**
     * How many leading tokens of {@code prompt} are the turns before its last message (the system
     * turn and the earlier exchanges of a conversation): those it shares with all messages but the
     * last rendered alone; 0 when there is no earlier exchange. The next turn of the conversation
     * starts with them, so they are kept (in memory only) even when other calls, such as a
     * follow-up's query rewrite, move the live cache on in between.
     */
    private int earlierTurns(List<ChatMessage> messages, int[] prompt) {
        if (messages.size() < 3) {
            return 0;
        }
        try {
            int[] head = tokens(template.prompt(messages.subList(0, messages.size() - 1), false));
            return PromptCache.common(head, head.length, prompt, prompt.length);
        } catch (RuntimeException e) {
            return 0; // a template that cannot render them alone: nothing to keep
        }
    }

    /**
     * How many leading tokens of {@code prompt} are the system turn: those it shares with the leading
     * system messages rendered alone (0 without a system message, or when the template cannot render
     * them alone).
     */
    private int systemTurn(List<ChatMessage> messages, int[] prompt) {
        int n = 0;
        while (n < messages.size() && messages.get(n).role() == ChatMessage.Role.SYSTEM) {
            n++;
        }
        if (n == 0) {
            return 0;
        }
        try {
            int[] head = tokens(template.prompt(messages.subList(0, n), false));
            return PromptCache.common(head, head.length, prompt, prompt.length);
        } catch (RuntimeException e) {
            return 0; // a template that needs a user turn: nothing to keep
        }
    }

    /** Continues raw text {@code prompt} (BOS per the model's metadata; special-token text stays text). */
    public ChatCompletion complete(String prompt, GenerationParams params) {
        return complete(prompt, params, TokenListener.NONE);
    }

    /** Continues raw text {@code prompt}, streaming the pieces to {@code listener}. */
    public ChatCompletion complete(String prompt, GenerationParams params, TokenListener listener) {
        return generate(tokenizer.encode(Objects.requireNonNull(prompt, "prompt"), true, false), params, listener)
                .completion();
    }

    /**
     * Generates after the given prompt tokens.
     *
     * @throws IllegalArgumentException if the prompt is empty, holds an id outside the vocabulary, or
     *                                  prompt plus {@code maxTokens} exceed the context
     * @throws IllegalStateException    if the model is closed
     */
    public Generation generate(int[] promptTokens, GenerationParams params, TokenListener listener) {
        return generate(promptTokens, params, listener, 0);
    }

    /** {@link #generate(int[], GenerationParams, TokenListener)}, keeping {@code promptTokens[0..keep)} (when long enough). */
    private Generation generate(int[] promptTokens, GenerationParams params, TokenListener listener, int keep) {
        return generate(promptTokens, params, listener, keep, 0);
    }

    /**
     * {@link #generate(int[], GenerationParams, TokenListener, int)}, also keeping
     * {@code promptTokens[0..remember)} in memory only (not in the prefix file).
     */
    private Generation generate(int[] promptTokens, GenerationParams params, TokenListener listener, int keep,
            int remember) {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(listener, "listener");
        int[] prompt = promptTokens.clone();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        for (int id : prompt) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("prompt token id = " + id + ": must be 0.." + (config.vocabSize() - 1));
            }
        }
        long asked = (long) prompt.length + params.maxTokens();
        if (asked > contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens + maxTokens " + params.maxTokens()
                    + " = " + asked + " tokens exceeds the context length of " + contextLength() + " tokens"
                    + (prompt.length < contextLength() ? " (at most " + (contextLength() - prompt.length)
                    + " new tokens fit after this prompt)" : ""));
        }
        lock.lock();
        try {
            if (closed.get() || closing) {
                throw new IllegalStateException("the model is closed");
            }
            return run(prompt, params, listener, keep, remember);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fills the KV cache for {@code prompt} and returns the logits after its last token: reuses the
     * longest prefix of it that the cache or a saved prefix holds (at least the last token is run
     * again, for its logits); returns how many tokens were reused in {@code reused[0]}.
     */
    private float[] prefill(int[] prompt, int[] reused) {
        readPrefixFile();
        int limit = prompt.length - 1;
        int reuse = PromptCache.common(cached, cachedCount, prompt, limit);
        PromptCache.Match m = prefixes.best(prompt, limit);
        if (m != null && m.length() > reuse) {
            cachedCount = reuse; // positions reuse.. are overwritten now
            transformer.writeKv(reuse, m.length(), m.prefix().kv(), reuse * transformer.kvValuesPerPosition());
            reuse = m.length();
        }
        cached = prompt.clone();
        cachedCount = reuse;
        float[] logits = transformer.forward(prompt, reuse, prompt.length, reuse);
        cachedCount = prompt.length;
        reused[0] = reuse;
        return logits;
    }

    /** Keeps the keys and values of {@code prompt[0..n)} (in the cache now) for later prompts, and in the file. */
    private void keep(int[] prompt, int n) {
        if (n < MIN_PREFIX || prefixes.holds(prompt, n)) {
            return;
        }
        short[] kv = new short[n * transformer.kvValuesPerPosition()];
        transformer.readKv(0, n, kv, 0);
        PromptCache.Prefix p = new PromptCache.Prefix(Arrays.copyOf(prompt, n), kv);
        prefixes.put(p);
        if (prefixFile != null && prefixFileId != null && (prefixFileTokens == null
                || !Arrays.equals(prefixFileTokens, p.tokens()))) {
            try {
                PromptCache.write(prefixFile, prefixFileId, p);
                prefixFileTokens = p.tokens();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "cannot save the prompt prefix to " + prefixFile + ": " + e);
            }
        }
    }

    /** Keeps the keys and values of {@code prompt[0..n)} (in the cache now) in memory, not in the file. */
    private void remember(int[] prompt, int n) {
        if (n < MIN_PREFIX || prefixes.holds(prompt, n)) {
            return;
        }
        short[] kv = new short[n * transformer.kvValuesPerPosition()];
        transformer.readKv(0, n, kv, 0);
        prefixes.put(new PromptCache.Prefix(Arrays.copyOf(prompt, n), kv));
    }

    /** Loads the prefix file once, when there is one for this model, context and engine. */
    private void readPrefixFile() {
        if (prefixFile == null || prefixFileRead) {
            return;
        }
        prefixFileRead = true;
        String engine = engineBuild();
        if (engine == null) {
            return; // cannot tell builds apart: a file could hold another engine's numbers
        }
        try {
            prefixFileId = PromptCache.Identity.of(gguf.path(), contextLength(), transformer.kvValuesPerPosition(),
                    Simd.describe() + "; " + engine);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "no prompt prefix file: cannot read " + gguf.path() + ": " + e);
            return;
        }
        if (!Files.exists(prefixFile)) {
            return;
        }
        try {
            PromptCache.Prefix p = PromptCache.read(prefixFile, prefixFileId);
            prefixes.put(p);
            prefixFileTokens = p.tokens();
        } catch (PromptCache.StaleException e) {
            LOG.log(System.Logger.Level.DEBUG, "prompt prefix file not used: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read the prompt prefix file " + prefixFile + ": " + e);
        }
    }

    /**
     * The build of this engine: size and time of its jar, or of the newest class of a classes folder;
     * null when unknown.
     */
    private static String engineBuild() {
        try {
            Path src = Path.of(GgufChatModel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(src)) {
                return src.getFileName() + " " + Files.size(src) + " " + Files.getLastModifiedTime(src).toMillis();
            }
            Path classes = src.resolve("dev/pocketrag/generation");
            try (var files = Files.walk(classes)) {
                long newest = 0;
                for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis());
                }
                return newest == 0 ? null : "classes " + newest;
            }
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * For tests: the logits after the chat prompt of {@code messages}, computed as {@link #chat} does
     * (caches used, the system turn kept); how many tokens were reused in {@code reused[0]}.
     */
    float[] chatLogits(List<ChatMessage> messages, int[] reused) {
        int[] prompt = chatPromptTokens(messages);
        lock.lock();
        try {
            if (closed.get() || closing) {
                throw new IllegalStateException("the model is closed");
            }
            float[] logits = prefill(prompt, reused).clone();
            keep(prompt, Math.min(systemTurn(messages, prompt), prompt.length - 1));
            return logits;
        } finally {
            lock.unlock();
        }
    }

    private Generation run(int[] prompt, GenerationParams params, TokenListener listener, int keep, int remember) {
        int vocab = config.vocabSize();
        int[] seq = Arrays.copyOf(prompt, prompt.length + params.maxTokens());
        long t0 = System.nanoTime();
        int[] reused = new int[1];
        float[] logits = prefill(prompt, reused);
        int reuse = reused[0];
        int pos = prompt.length;
        checkFinite(logits, pos - 1);
        long t1 = System.nanoTime();

        long seed = params.seed() == GenerationParams.DEFAULT_SEED ? nextSeed() : params.seed();
        Sampler sampler = new Sampler(params, seed, vocab);
        for (int i = Math.max(0, prompt.length - params.repeatLastN()); i < prompt.length; i++) {
            sampler.accept(prompt[i]);
        }
        StreamingDecoder decoder = tokenizer.newDecoder();
        StopStrings stops = new StopStrings(params.stop());
        StringBuilder text = new StringBuilder();
        int generated = 0;
        ChatCompletion.FinishReason reason = ChatCompletion.FinishReason.LENGTH;
        boolean cancelled = false;
        try {
            while (generated < params.maxTokens()) {
                if (closing) {
                    cancelled = true;
                    break;
                }
                int token = sampler.sample(logits);
                sampler.accept(token);
                seq[pos] = token;
                generated++;
                if (tokenizer.isEndOfGeneration(token)) {
                    reason = ChatCompletion.FinishReason.STOP;
                    break;
                }
                String out = stops.offer(decoder.accept(token));
                if (!out.isEmpty()) {
                    text.append(out);
                    if (!listener.onText(out)) {
                        cancelled = true;
                        break;
                    }
                }
                if (stops.stopped()) {
                    reason = ChatCompletion.FinishReason.STOP;
                    break;
                }
                if (generated == params.maxTokens()) {
                    break;
                }
                logits = transformer.forward(seq, pos, pos + 1, pos);
                checkFinite(logits, pos);
                pos++;
            }
        } finally {
            // the cache holds the prompt and the generated tokens that were run (not the last one sampled)
            cached = Arrays.copyOf(seq, pos);
            cachedCount = pos;
        }
        if (cancelled) {
            reason = ChatCompletion.FinishReason.CANCELLED;
        } else if (!stops.stopped()) {
            String rest = stops.offer(decoder.finish()) + stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onText(rest);
            }
        }
        long t2 = System.nanoTime();
        keep(prompt, Math.min(keep, prompt.length - 1));
        if (remember > keep) {
            remember(prompt, Math.min(remember, prompt.length - 1));
        }
        ChatCompletion.Timings timings = new ChatCompletion.Timings((t1 - t0) / 1e6, (t2 - t1) / 1e6,
                prompt.length - reuse, generated);
        ChatCompletion c = new ChatCompletion(text.toString(), reason,
                new ChatCompletion.Usage(prompt.length, generated, reuse), timings);
        return new Generation(prompt, Arrays.copyOfRange(seq, prompt.length, prompt.length + generated), c);
    }

    /**
     * @throws NonFiniteLogitsException if a logit is NaN or infinite (damaged weights: sampling
     *     would pick an arbitrary token, typically ending the answer before it starts)
     */
    private void checkFinite(float[] logits, int pos) {
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new NonFiniteLogitsException("model '" + name() + "' (" + gguf.path().getFileName() + ") computed a "
                        + logits[i] + " logit (token " + i + ") at position " + pos + ": its weights hold NaN or"
                        + " infinite values or overflow; the file is damaged or was converted wrongly");
            }
        }
    }

    private long nextSeed() {
        long s;
        do {
            s = seeds.nextLong();
        } while (s == GenerationParams.DEFAULT_SEED);
        return s;
    }

    /** Cancels a running generation, waits for it, frees the KV cache and unmaps the file; idempotent. */
    @Override
    public void close() {
        if (closed.get()) {
            return;
        }
        closing = true;
        lock.lock();
        try {
            if (closed.compareAndSet(false, true)) {
                try {
                    transformer.close();
                } finally {
                    gguf.close();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "GgufChatModel[" + config + ", context " + contextLength() + ", template " + template + "]";
    }
}
