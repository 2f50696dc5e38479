package dev.pocketrag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the real {@code ./pocketrag} launcher, as a new user would run it: a fresh
 * data directory (XDG_DATA_HOME), no config, the sample notes. Runs after {@code package}
 * (failsafe), so the launcher finds the jar it would build.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherIT {
    static Path root;
    @TempDir
    static Path home;

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out:\n" + out + "\n--- err:\n" + err;
        }
    }

    @BeforeAll
    static void locate() {
        root = Path.of(System.getProperty("pocketrag.root", "../..")).toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(root.resolve("pocketrag")), "skipped: no ./pocketrag launcher at " + root);
    }

    static Run pocketrag(String... args) throws IOException, InterruptedException {
        return pocketrag(Map.of(), args);
    }

    /** Runs the launcher with {@code extraEnv} added to a clean environment; stderr as it came. */
    static Run pocketrag(Map<String, String> extraEnv, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = launcher(extraEnv, args);
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("pocketrag " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static ProcessBuilder launcher(Map<String, String> extraEnv, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("pocketrag").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        Map<String, String> env = pb.environment();
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.remove("POCKETRAG_DIR");
        env.remove("POCKETRAG_MODEL");
        env.remove("POCKETRAG_CONFIG");
        env.remove("POCKETRAG_INDEX_URL");
        env.remove("POCKETRAG_AOT");
        env.remove("POCKETRAG_JAVA_OPTS");
        env.putAll(extraEnv);
        return pb;
    }

    @Test
    @Order(1)
    void import_the_sample_notes_into_the_default_data_directory() throws Exception {
        Run r = pocketrag("import", "examples/notes");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("60 files: 60 added"), r::toString);
        assertTrue(Files.isDirectory(home.resolve("data/pocketrag/index")), "default data dir under XDG_DATA_HOME");
    }

    @Test
    @Order(2)
    void search_finds_the_note_by_meaning() throws Exception {
        Run r = pocketrag("search", "--json", "-k", "3", "where do we stay in Kyoto");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), "nothing on stderr, not even the JVM's incubator-module warning");
        JsonArray hits = JsonParser.parseString(r.out()).getAsJsonArray();
        assertTrue(hits.get(0).getAsJsonObject().get("title").getAsString().contains("Kyoto"), r::toString);
    }

    @Test
    @Order(3)
    void ask_without_a_model_gives_a_cited_extractive_answer() throws Exception {
        Run r = pocketrag("ask", "How many clamshells should I do for my knee?");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("3 x 15"), r::toString);
        assertTrue(r.out().contains("[1]") && r.out().contains("Sources:"), r::toString);
        assertTrue(r.out().contains("physio-knee-exercises.md"), r::toString);
        assertTrue(r.out().contains("--model"), "says how to enable generation:\n" + r);

        Run json = pocketrag("ask", "--json", "When does my car insurance renew?");
        assertEquals(0, json.exit(), json::toString);
        JsonObject a = JsonParser.parseString(json.out()).getAsJsonObject();
        assertTrue(a.get("answer").getAsString().contains("1 September"), json::toString);
        assertTrue(a.getAsJsonArray("citations").get(0).getAsJsonObject().get("source").getAsString()
                .endsWith("finance/car-insurance-renewal.md"), json::toString);
    }

    @Test
    @Order(3)
    void a_follow_up_in_a_thread_cites_the_notes_of_the_first_question() throws Exception {
        Run first = pocketrag("ask", "--thread", "t1", "When is the Atlas cut-over?");
        assertEquals(0, first.exit(), first::toString);
        assertTrue(first.err().contains("starting a new thread 't1'"), first::toString);
        Run second = pocketrag("ask", "--thread", "t1", "--json", "Who owns the rollback?");
        assertEquals(0, second.exit(), second::toString);
        assertFalse(second.err().contains("starting a new thread"), "the thread continues: " + second);
        JsonObject a = JsonParser.parseString(second.out()).getAsJsonObject();
        assertTrue(a.get("searched_for").getAsString().contains("Atlas"), second::toString);
        assertTrue(a.get("answer").getAsString().contains("Priya"), "the rollback owner, from the runbook: " + second);
        JsonArray citations = a.getAsJsonArray("citations");
        assertFalse(citations.isEmpty(), second::toString);
        for (var c : citations) {
            assertTrue(c.getAsJsonObject().get("source").getAsString().contains("work/atlas-"),
                    "every citation is an Atlas note: " + second);
        }
        Run threads = pocketrag("threads", "--json");
        assertEquals(0, threads.exit(), threads::toString);
        assertEquals(2, JsonParser.parseString(threads.out()).getAsJsonArray().get(0).getAsJsonObject()
                .get("turns").getAsInt(), threads::toString);
        assertTrue(Files.isRegularFile(home.resolve("data/pocketrag/threads/t1.thread")), "kept in the notebook directory");
    }

    @Test
    @Order(4)
    void ask_with_a_gguf_model_generates_end_to_end() throws Exception {
        Path model = Path.of(System.getProperty("pocketrag.shared", "../shared")).resolve("models/stories260K.gguf");
        assumeTrue(Files.isRegularFile(model), "skipped: " + model + " not found (../shared is absent)");
        Run r = pocketrag("ask", "--json", "-n", "48", "--model", model.toString(),
                "How many clamshells should I do for my knee?");
        assertEquals(0, r.exit(), r::toString);
        JsonObject a = JsonParser.parseString(r.out()).getAsJsonObject();
        // a story model writes nonsense, but the whole path runs: template fallback, packing, generation
        assertEquals("generated", a.get("kind").getAsString(), r::toString);
        assertFalse(a.get("answer").getAsString().isBlank(), r::toString);
        assertTrue(a.getAsJsonArray("passages").size() >= 1, r::toString);
        assertTrue(a.getAsJsonObject("timings").get("answer_tokens").getAsInt() > 0, r::toString);
        assertTrue(a.getAsJsonObject("timings").get("prompt_tokens").getAsInt()
                + 48 <= 2048, "prompt + answer within the model's 2048-token window: " + r);
        assertTrue(r.err().contains("chat template"), "warns about the chatml fallback: " + r);
        // focused packing unless asked otherwise; the first token's time counts from the process start
        assertEquals("focused", a.get("context").getAsString(), r::toString);
        JsonObject t = a.getAsJsonObject("timings");
        assertTrue(t.get("process_first_token_ms").getAsDouble() > t.get("first_token_ms").getAsDouble(), r::toString);

        Run whole = pocketrag("ask", "--json", "-n", "8", "--context", "whole", "--model", model.toString(),
                "How many clamshells should I do for my knee?");
        assertEquals(0, whole.exit(), whole::toString);
        JsonObject w = JsonParser.parseString(whole.out()).getAsJsonObject();
        assertEquals("whole", w.get("context").getAsString(), whole::toString);
        int passages = w.getAsJsonArray("passages").size();
        int leftOut = w.getAsJsonArray("left_out").size();
        assertEquals(6, passages + leftOut, "every retrieved passage is used or reported: " + whole);
        assertTrue(w.getAsJsonObject("timings").get("prompt_tokens").getAsInt()
                > t.get("prompt_tokens").getAsInt(), "whole chunks make the longer prompt: " + whole + "\n" + r);
        assertFalse(r.err().contains("scalar kernels"), "the launcher gave ask the Vector API: " + r);
    }

    /**
     * The launcher starts ask without the Vector API when no chat model is configured; when the
     * config file names one (the launcher reads it as Settings does), generation gets its vector
     * kernels. (--model: the test above.)
     */
    @Test
    @Order(4)
    void ask_with_a_model_from_the_config_file_runs_the_vector_kernels() throws Exception {
        Path model = Path.of(System.getProperty("pocketrag.shared", "../shared")).resolve("models/stories260K.gguf")
                .toAbsolutePath();
        assumeTrue(Files.isRegularFile(model), "skipped: " + model + " not found (../shared is absent)");
        Path config = home.resolve("ask-config.properties");
        Files.writeString(config, "# a model for ask\n  model = " + model + "\n");
        Run r = pocketrag(Map.of("POCKETRAG_CONFIG", config.toString()), "ask", "--json", "-n", "8",
                "How many clamshells should I do for my knee?");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("generated", JsonParser.parseString(r.out()).getAsJsonObject().get("kind").getAsString(),
                r::toString);
        assertFalse(r.err().contains("scalar kernels"), "the launcher gave ask the Vector API: " + r);
    }

    @Test
    @Order(5)
    void delete_removes_a_note() throws Exception {
        Run list = pocketrag("list", "--json", "-n", "100");
        JsonArray notes = JsonParser.parseString(list.out()).getAsJsonArray();
        assertEquals(60, notes.size());
        String id = notes.get(0).getAsJsonObject().get("id").getAsString();
        Run r = pocketrag("delete", id);
        assertEquals(0, r.exit(), r::toString);
        Run stats = pocketrag("stats", "--json");
        assertEquals(59, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(), stats::toString);
    }

    @Test
    @Order(6)
    void a_second_import_embeds_only_what_changed() throws Exception {
        Run r = pocketrag("import", "--json", "examples/notes");
        assertEquals(0, r.exit(), r::toString);
        JsonObject p = JsonParser.parseString(r.out()).getAsJsonObject();
        // the note deleted above comes back; the other 59 are unchanged and not embedded again
        assertEquals(59, p.get("unchanged").getAsInt(), r::toString);
        assertEquals(1, p.get("added").getAsInt(), r::toString);
        Run again = pocketrag("import", "--json", "examples/notes");
        JsonObject q = JsonParser.parseString(again.out()).getAsJsonObject();
        assertEquals(0, q.get("added").getAsInt() + q.get("updated").getAsInt(), again::toString);
    }

    @Test
    @Order(7)
    void bad_input_is_one_line_with_exit_code_2_and_loses_nothing() throws Exception {
        Run missing = pocketrag("import", "no/such/folder");
        assertEquals(2, missing.exit(), missing::toString);
        assertEquals("error: folder not found: no/such/folder", missing.err().strip());

        Run notGguf = pocketrag("ask", "--model", "examples/notes/health/dentist.md", "When is the dentist?");
        assertEquals(2, notGguf.exit(), notGguf::toString);
        assertOneLineError(notGguf);
        assertTrue(notGguf.err().contains("dentist.md"), notGguf::toString);

        Run badFlag = pocketrag("search", "--no-such-flag", "x");
        assertEquals(2, badFlag.exit(), badFlag::toString);

        // the index held by another process (this test JVM)
        try (Notebook holder = Notebook.open(home.resolve("data/pocketrag"))) {
            Run busy = pocketrag("add", "a note while the notebook is busy");
            assertEquals(2, busy.exit(), busy::toString);
            assertOneLineError(busy);
            assertTrue(busy.err().contains("in use by another process"), busy::toString);
        }
        Run stats = pocketrag("stats", "--json");
        assertEquals(60, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(), stats::toString);

        // a config file naming another embedder than the notebook's (MiniLM): refused, with the way to switch
        Path config = home.resolve("embedder-config.properties");
        Files.writeString(config, "embedder = bge-small\n");
        Run other = pocketrag(Map.of("POCKETRAG_CONFIG", config.toString()), "search", "kyoto hotel");
        assertEquals(2, other.exit(), other::toString);
        assertOneLineError(other);
        assertTrue(other.err().contains("not of embedder 'bge-small'")
                && other.err().contains("run `pocketrag reindex --embedder bge-small`"), other::toString);
        Files.writeString(config, "embedder=bge-large\n");
        Run bad = pocketrag(Map.of("POCKETRAG_CONFIG", config.toString()), "search", "kyoto hotel");
        assertEquals(2, bad.exit(), bad::toString);
        assertEquals("error: config file " + config + ": unknown embedder 'bge-large': choose one of minilm, bge-small,"
                + " e5-small", bad.err().strip());
    }

    @Test
    @Order(8)
    void an_import_with_unreadable_and_binary_files_skips_and_counts_them(@TempDir Path notes) throws Exception {
        Files.writeString(notes.resolve("ok.md"), "# Plants\nWater the monstera every Sunday.\n");
        Files.write(notes.resolve("image.md"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path locked = notes.resolve("locked.txt");
        Files.writeString(locked, "secret");
        boolean canLock = locked.toFile().setReadable(false) && !Files.isReadable(locked);
        Run r = pocketrag("import", "--json", notes.toString());
        assertEquals(0, r.exit(), r::toString);
        JsonObject p = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(1, p.get("skipped").getAsInt(), r::toString);
        // root reads anything: then the locked file just imports
        assertEquals(canLock ? 1 : 2, p.get("added").getAsInt(), r::toString);
        assertEquals(canLock ? 1 : 0, p.get("failed").getAsInt(), r::toString);
    }

    @Test
    @Order(9)
    void demo_prints_cited_answers() throws Exception {
        Run r = pocketrag("demo");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("60 files: 60 added"), r::toString);
        long answers = r.out().lines().filter(l -> l.startsWith("A: ") && l.matches(".*\\[\\d+].*")).count();
        assertEquals(4, answers, "four cited answers:\n" + r);
        assertTrue(r.out().contains("KX-4471"), r::toString);
        // the documents too: the claims line is on page 3 of the policy (examples/QUESTIONS.md)
        assertTrue(r.out().contains("4 files: 4 added"), r::toString);
        assertTrue(r.out().contains("+351 210 004 477"), r::toString);
        assertTrue(r.out().contains("Home Contents Insurance Policy · p. 3"), r::toString);
    }

    /**
     * The AOT cache fallback: a stale cache never breaks a command. The launcher uses a cache only
     * when its stamp says it was made for this JDK, these flags and these jars, and remakes it (in
     * the background; here with POCKETRAG_AOT=wait) when they changed or the file was written
     * since; a cache the JVM itself cannot use is ignored without a word.
     */
    @Test
    @Order(10)
    void the_aot_cache_fallback_a_stale_or_broken_cache_never_breaks_a_command() throws Exception {
        // stats, search and --help run in the launcher's "base" profile (no Vector API) and its cache
        Path dir = root.resolve("examples/cli/target/aot");
        Path aot = dir.resolve("base.aot");
        Path stamp = dir.resolve("base.aot.stamp");
        Map<String, String> wait = Map.of("POCKETRAG_AOT", "wait");
        Run made = pocketrag(wait, "stats", "--json");
        assertEquals(0, made.exit(), made::toString);
        assertEquals("", made.err(), made::toString);
        assertTrue(Files.isRegularFile(aot) && Files.isRegularFile(stamp), "the launcher made the cache");
        assertTrue(Files.isRegularFile(dir.resolve("base.aot.unpacked/complete")) || !isLinuxOrMac(),
                "and what it unpacked from the jars for the cached runs (ONNX Runtime's libraries, the model)");
        String stats = made.out();
        String key = Files.readString(stamp);
        long seed = Long.getLong("pocketrag.seed", 20261202L);
        System.out.println("LauncherIT AOT cache corruption seed=" + seed);
        java.util.Random rnd = new java.util.Random(seed);

        // 1. garbage over its header (the file written after its stamp)
        byte[] garbage = new byte[4096];
        rnd.nextBytes(garbage);
        try (var ch = java.nio.channels.FileChannel.open(aot, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(garbage), 0);
        }
        assertSameAnswers(stats, "garbage over the header");
        assertRemade(aot, stamp, key, garbage, "after garbage over its header");

        // 2. a jar changed after the cache was made (the JVM would refuse the cache as well)
        Path jar = root.resolve("examples/cli/target/lib").resolve(
                Files.list(root.resolve("examples/cli/target/lib")).map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("gson-")).findFirst().orElseThrow());
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        assertSameAnswers(stats, "a jar changed");
        assertRemade(aot, stamp, key, garbage, "after a jar changed");

        // 3. the stamp names another JDK
        Files.writeString(stamp, key.replace(" " + System.getProperty("java.home") + " ", " /opt/jdk-25.0.9 ")
                .replace(System.getProperty("java.runtime.version"), "25.0.9+1-LTS"));
        assertTrue(!Files.readString(stamp).equals(key), "the stamp names the JDK: " + key);
        assertSameAnswers(stats, "the stamp names another JDK");
        assertRemade(aot, stamp, key, garbage, "after the JDK changed");

        // 4. a cache the launcher takes for fresh but the JVM refuses: made by another HotSpot build
        byte[] good = Files.readAllBytes(aot);
        byte[] ident = System.getProperty("java.vm.version").getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(head(aot, 4096), ident);
        assertTrue(at > 0, "the JVM's version is in the cache header");
        byte[] other = good.clone();
        other[at] = (byte) (other[at] == '9' ? '8' : '9');
        Files.write(aot, other);
        Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(1)));
        assertSameAnswers(stats, "a cache of another HotSpot build");
        Files.write(aot, good); // put the good one back, as fresh as it was
        Files.setLastModifiedTime(stamp, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(1)));
    }

    /**
     * The other profile, with the Vector API (ask, import, generation), has its own cache, made the
     * same way; its JVM's boot-time warning is filtered from stderr.
     */
    @Test
    @Order(11)
    void the_vector_profile_has_its_own_cache_and_a_quiet_stderr() throws Exception {
        Path aot = root.resolve("examples/cli/target/aot/vector.aot");
        Run r = pocketrag(Map.of("POCKETRAG_AOT", "wait"), "import", "--json", "examples/notes");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertEquals(60, JsonParser.parseString(r.out()).getAsJsonObject().get("unchanged").getAsInt(), r::toString);
        assertTrue(Files.isRegularFile(aot) && Files.isRegularFile(aot.resolveSibling("vector.aot.stamp")),
                "the launcher made the vector profile's cache");
        Run again = pocketrag("import", "examples/notes");
        assertEquals(0, again.exit(), again::toString);
        assertEquals("", again.err(), again::toString);
    }

    @Test
    @Order(12)
    void import_then_ask_on_an_index_url_and_index_url_in_the_config_file() throws Exception {
        Path dir = home.resolve("scaleout-data");
        String url = home.resolve("scaleout-index").toUri().toString();
        Run imported = pocketrag("import", "--dir", dir.toString(), "--index-url", url, "examples/notes");
        assertEquals(0, imported.exit(), imported::toString);
        assertTrue(imported.out().startsWith("60 files: 60 added"), imported::toString);
        Run ask = pocketrag("ask", "--dir", home.resolve("another-machine").toString(), "--index-url", url, "--json",
                "When does my car insurance renew?");
        assertEquals(0, ask.exit(), ask::toString);
        assertTrue(JsonParser.parseString(ask.out()).getAsJsonObject().get("answer").getAsString()
                .contains("1 September"), ask::toString);
        Path cfg = home.resolve("scaleout.properties");
        Files.writeString(cfg, "index-url=" + url + "\n");
        Run stats = pocketrag(Map.of("POCKETRAG_CONFIG", cfg.toString()), "stats", "--dir", dir.toString(), "--json");
        assertEquals(0, stats.exit(), stats::toString);
        JsonObject s = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals(60, s.get("notes").getAsInt(), stats::toString);
        assertEquals(url, s.get("index_url").getAsString(), stats::toString);
        assertFalse(Files.exists(dir.resolve("index")), "the notes are at the URL, not in the notebook folder");
        Run down = pocketrag("search", "--dir", dir.toString(), "--index-url", "https://127.0.0.1:1/notes", "kyoto");
        assertEquals(2, down.exit(), down::toString);
        assertEquals(1, down.err().lines().count(), "one line, no stack trace: " + down);
    }

    static boolean isLinuxOrMac() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        return os.contains("linux") || os.contains("mac");
    }

    /** stats, search and --help still give the right output and exit code, with nothing on stderr. */
    private static void assertSameAnswers(String stats, String when) throws Exception {
        Run s = pocketrag("stats", "--json");
        assertEquals(0, s.exit(), () -> when + ": " + s);
        assertEquals(stats, s.out(), when);
        assertEquals("", s.err(), () -> when + ": " + s);
        Run q = pocketrag("search", "--json", "-k", "1", "where do we stay in Kyoto");
        assertEquals(0, q.exit(), () -> when + ": " + q);
        assertTrue(JsonParser.parseString(q.out()).getAsJsonArray().get(0).getAsJsonObject().get("title")
                .getAsString().contains("Kyoto"), () -> when + ": " + q);
        assertEquals("", q.err(), () -> when + ": " + q);
        Run h = pocketrag("--help");
        assertEquals(0, h.exit(), () -> when + ": " + h);
        assertTrue(h.out().startsWith("Usage: pocketrag"), () -> when + ": " + h);
        assertEquals("", h.err(), () -> when + ": " + h);
    }

    /** The launcher has made a new cache (waiting for the training the runs above started). */
    private static void assertRemade(Path aot, Path stamp, String key, byte[] garbage, String when) throws Exception {
        Run r = pocketrag(Map.of("POCKETRAG_AOT", "wait"), "--version");
        assertEquals(0, r.exit(), r::toString);
        assertEquals("", r.err(), r::toString);
        assertTrue(Files.isRegularFile(aot) && Files.isRegularFile(stamp), when + ": the cache was remade");
        assertEquals(key, Files.readString(stamp), when);
        assertTrue(Files.getLastModifiedTime(stamp).compareTo(Files.getLastModifiedTime(aot)) >= 0, when);
        assertFalse(java.util.Arrays.equals(garbage, head(aot, garbage.length)), when);
    }

    private static byte[] head(Path file, int n) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * After the JVM has booted, the command's stderr is the real one (here a file), not the
     * launcher's boot filter, and the launcher left no process behind (no filter, no zombie).
     */
    @Test
    @Order(12)
    void a_running_command_writes_to_the_real_stderr_and_has_no_helper_processes(@TempDir Path nb) throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "skipped: no /proc (not Linux)");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = launcher(Map.of(), "serve", "--port", Integer.toString(port), "--dir", nb.toString());
        Path out = Files.createTempFile(home, "serve-out", ".txt");
        Path err = Files.createTempFile(home, "serve-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.readString(out).contains("Ctrl-C to stop") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(p.isAlive(), () -> "serve ended: " + readQuietly(out) + readQuietly(err));
            Path fd2 = Path.of("/proc/" + p.pid() + "/fd/2");
            assertEquals(err.toRealPath(), fd2.toRealPath(), "fd 2 of the running JVM");
            assertEquals(List.of(), p.children().map(ProcessHandle::pid).toList(), "no child processes");
            assertEquals("", Files.readString(err));
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Under a locale whose charset is not UTF-8 ({@code LC_ALL=C}) the JVM would decode file names
     * as ASCII: a folder or file named with an accent could not even be named on the command line
     * (InvalidPathException). The launcher gives the JVM a UTF-8 locale then.
     */
    @Test
    @Order(13)
    void non_ascii_file_names_work_under_the_c_locale(@TempDir Path tmp) throws Exception {
        assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")),
                "skipped: this test JVM cannot name the files (sun.jnu.encoding=" + System.getProperty("sun.jnu.encoding") + ")");
        Path folder = Files.createDirectories(tmp.resolve("\u00e9t\u00e9"));
        Path file = folder.resolve("caf\u00e9.md");
        Files.writeString(file, "# Caf\u00e9 na\u00efve\nCroissants at nine on S\u00e3o Jo\u00e3o street.\n");
        String nb = tmp.resolve("nb").toString();
        Map<String, String> c = Map.of("LC_ALL", "C", "LANG", "C");
        Run imported = pocketrag(c, "import", "--json", "--dir", nb, folder.toString());
        assertEquals(0, imported.exit(), imported::toString);
        assertEquals(1, JsonParser.parseString(imported.out()).getAsJsonObject().get("added").getAsInt(), imported::toString);
        Run added = pocketrag(c, "add", "--dir", nb, "--id", "by-hand", "--file", file.toString());
        assertEquals(0, added.exit(), added::toString);
        Run list = pocketrag(c, "list", "--json", "--dir", nb);
        assertEquals(0, list.exit(), list::toString);
        JsonArray notes = JsonParser.parseString(list.out()).getAsJsonArray();
        assertEquals(2, notes.size(), list::toString);
        for (var n : notes) {
            assertEquals("Caf\u00e9 na\u00efve", n.getAsJsonObject().get("title").getAsString(), list::toString);
            assertEquals(file.toString(), n.getAsJsonObject().get("source").getAsString(), list::toString);
        }
        Run again = pocketrag(Map.of("LC_ALL", "C.UTF-8"), "import", "--json", "--dir", nb, folder.toString());
        assertEquals(1, JsonParser.parseString(again.out()).getAsJsonObject().get("unchanged").getAsInt(),
                "the same note id whatever the locale: " + again);
    }

    /**
     * {@code pocketrag watch} in its own process: another process adds a note while it runs (the
     * notebook is held only while watch writes), a new file is indexed, and SIGTERM (what Ctrl-C
     * and a service manager send) stops it cleanly.
     */
    @Test
    @Order(14)
    void watch_lets_another_process_add_while_it_runs_and_stops_on_sigterm(@TempDir Path tmp) throws Exception {
        Path nb = tmp.resolve("nb");
        Path notes = Files.createDirectories(tmp.resolve("notes"));
        Files.writeString(notes.resolve("a.md"), "# Boiler\nThe boiler was serviced in March.\n");
        ProcessBuilder pb = launcher(Map.of(), "watch", "--json", "--quiet-for", "300ms", "--dir", nb.toString(),
                notes.toString());
        Path out = Files.createTempFile(home, "watch-out", ".txt");
        Path err = Files.createTempFile(home, "watch-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            awaitOutput(p, out, err, "\"event\":\"scanned\"");
            Run add = pocketrag("add", "--dir", nb.toString(), "--title", "Typed", "--",
                    "A note typed while the folder is watched.");
            assertEquals(0, add.exit(), add::toString);
            Path b = notes.resolve("b.md");
            Files.writeString(b, "# Train\nThe train leaves at 08:10.\n");
            awaitOutput(p, out, err, "\"event\":\"added\",\"path\":\"" + b.toAbsolutePath() + "\"");
        } finally {
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "watch stopped on SIGTERM");
        }
        Run stats = pocketrag("stats", "--json", "--dir", nb.toString());
        JsonObject o = JsonParser.parseString(stats.out()).getAsJsonObject();
        assertEquals(3, o.get("notes").getAsInt(), stats::toString);
        assertEquals(2, o.getAsJsonObject("sources").getAsJsonArray("roots").get(0).getAsJsonObject().get("notes")
                .getAsInt(), stats::toString);
    }

    private static void awaitOutput(Process p, Path out, Path err, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.readString(out).contains(expected) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(out).contains(expected), () -> "no " + expected + " from watch: "
                + readQuietly(out) + readQuietly(err));
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * Issue 20's workflow as a user runs it: a Hugging Face folder (written here: a Llama-shaped
     * checkpoint with random weights and a byte-level BPE tokenizer.json) converted to F16, quantized
     * to Q4_K_M, and the quantization judged by perplexity against the F16 model's saved logits.
     */
    @Test
    @Order(15)
    void convert_then_quantize_then_perplexity_against_the_f16_base(@TempDir Path tmp) throws Exception {
        Path hf = writeTinyLlamaCheckpoint(tmp.resolve("tiny-llama-hf"), 20261203L);
        Path f16 = tmp.resolve("tiny-f16.gguf");
        Path q4 = tmp.resolve("tiny-q4_k_m.gguf");
        Path base = tmp.resolve("tiny-f16.logits");
        Path text = root.resolve("examples/notes/home/renovation-plan.md");
        String content = Files.readString(text, StandardCharsets.UTF_8);
        // the tokenizer's three merges each save one token: " t" and "he" wherever they occur in a
        // word piece (GPT-2's pre-tokenizer keeps a space with the letters after it), " the" once more
        int expectedTokens = content.getBytes(StandardCharsets.UTF_8).length - occurrences(content, " t")
                - occurrences(content, "he") - occurrences(content, " the");

        Run convert = pocketrag("convert", hf.toString(), f16.toString(), "--outtype", "f16");
        assertEquals(0, convert.exit(), convert::toString);
        Run quantize = pocketrag("quantize", f16.toString(), q4.toString(), "Q4_K_M");
        assertEquals(0, quantize.exit(), quantize::toString);
        assertTrue(Files.size(q4) < Files.size(f16) / 2, "Q4_K_M is less than half of F16");

        Run save = pocketrag("perplexity", "--model", f16.toString(), "--file", text.toString(), "--ctx", "128", "--chunks", "8",
                "--save-logits", base.toString(), "--json");
        assertEquals(0, save.exit(), save::toString);
        JsonObject f16Run = JsonParser.parseString(save.out()).getAsJsonObject();
        // the converted vocabulary tokenizes as its tokenizer.json says
        assertEquals(expectedTokens, f16Run.get("tokens").getAsInt(), save::toString);

        Run kld = pocketrag("perplexity", "--model", q4.toString(), "--file", text.toString(),
                "--chunks", "8", "--kl-divergence-base", base.toString(), "--json");
        assertEquals(0, kld.exit(), kld::toString);
        JsonObject q = JsonParser.parseString(kld.out()).getAsJsonObject();
        double ppl = q.get("ppl").getAsDouble();
        double pplBase = q.get("ppl_base").getAsDouble();
        assertTrue(ppl > 1 && Double.isFinite(ppl), kld::toString);
        assertEquals(f16Run.get("ppl").getAsDouble(), pplBase, 1e-6 * pplBase, "the base's PPL is the F16 run's");
        assertEquals(ppl / pplBase, q.get("ppl_ratio").getAsDouble(), 1e-6, kld::toString);
        double mean = q.get("kld_mean").getAsDouble();
        assertTrue(mean > 0 && mean < 1, "Q4_K_M differs from F16, a little: " + kld);
        assertTrue(q.get("kld_median").getAsDouble() <= q.get("kld_p99").getAsDouble(), kld::toString);
        double top1 = q.get("top1_agreement").getAsDouble();
        assertTrue(top1 > 0.5 && top1 <= 1, kld::toString);
    }

    /**
     * Issue 21 as a user tries it: {@code cluster/local-cluster} starts a real SolrCloud node (and
     * ZooKeeper) in its own process and prints the index URL; import, search, ask, delete and stats
     * then run through the launcher on that URL from two notebook folders ("two machines").
     */
    @Test
    @Order(16)
    void import_search_and_ask_on_a_real_solrcloud_cluster_started_by_local_cluster() throws Exception {
        assumeTrue(isLinuxOrMac(), "cluster/local-cluster is a bash script");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("cluster/local-cluster").toString(), "1", "launcher")
                .directory(root.toFile());
        pb.environment().remove("POCKETRAG_INDEX_URL");
        Path out = Files.createTempFile(home, "cluster-out", ".txt");
        Path err = Files.createTempFile(home, "cluster-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process cluster = pb.start();
        try {
            String url = null;
            for (long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(5); url == null; Thread.sleep(500)) {
                assertTrue(cluster.isAlive(), () -> "local-cluster ended: " + read(err));
                assertTrue(System.nanoTime() < end, () -> "no index URL from local-cluster in 5 minutes: " + read(err));
                url = Files.readAllLines(out).stream().map(String::strip)
                        .filter(l -> l.startsWith("http://") && l.contains("/solr/launcher")).findFirst().orElse(null);
            }
            Path a = home.resolve("cluster-machine-a");
            Path b = home.resolve("cluster-machine-b");
            Run imported = pocketrag("import", "--dir", a.toString(), "--index-url", url, "examples/notes");
            assertEquals(0, imported.exit(), imported::toString);
            assertTrue(imported.out().startsWith("60 files: 60 added"), imported::toString);

            Run search = pocketrag("search", "--dir", b.toString(), "--index-url", url, "--json", "-k", "3",
                    "where do we stay in Kyoto");
            assertEquals(0, search.exit(), search::toString);
            JsonArray hits = JsonParser.parseString(search.out()).getAsJsonArray();
            assertTrue(hits.get(0).getAsJsonObject().get("title").getAsString().contains("Kyoto"), search::toString);

            Run ask = pocketrag("ask", "--dir", b.toString(), "--index-url", url, "--json",
                    "When does my car insurance renew?");
            assertEquals(0, ask.exit(), ask::toString);
            assertTrue(JsonParser.parseString(ask.out()).getAsJsonObject().get("answer").getAsString()
                    .contains("1 September"), ask::toString);

            String id = hits.get(0).getAsJsonObject().get("note_id").getAsString();
            Run delete = pocketrag("delete", "--dir", b.toString(), "--index-url", url, id);
            assertEquals(0, delete.exit(), delete::toString);
            Run stats = pocketrag("stats", "--dir", a.toString(), "--index-url", url, "--json");
            assertEquals(0, stats.exit(), stats::toString);
            assertEquals(59, JsonParser.parseString(stats.out()).getAsJsonObject().get("notes").getAsInt(),
                    "machine b's delete is seen from machine a: " + stats);
            assertFalse(Files.exists(a.resolve("index")), "no local index in the notebook folder");
        } finally {
            cluster.destroy(); // SIGTERM: the nodes stop and their data is deleted
            if (!cluster.waitFor(60, TimeUnit.SECONDS)) {
                cluster.destroyForcibly();
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * A Hugging Face Llama folder: config.json, model.safetensors (F32, seeded normal weights),
     * tokenizer.json (byte-level BPE: the 256 bytes in GPT-2's byte-to-unicode spelling, three merges
     * making " t", "he" and " the", one special token) and tokenizer_config.json.
     */
    private static int occurrences(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    static Path writeTinyLlamaCheckpoint(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        int hidden = 256, ff = 512, layers = 2, heads = 4, kvHeads = 2, vocab = 260;
        int kvDim = hidden / heads * kvHeads;
        java.util.Random random = new java.util.Random(seed);
        java.util.LinkedHashMap<String, int[]> shapes = new java.util.LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new int[] {vocab, hidden});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new int[] {hidden});
            shapes.put(p + "self_attn.q_proj.weight", new int[] {hidden, hidden});
            shapes.put(p + "self_attn.k_proj.weight", new int[] {kvDim, hidden});
            shapes.put(p + "self_attn.v_proj.weight", new int[] {kvDim, hidden});
            shapes.put(p + "self_attn.o_proj.weight", new int[] {hidden, hidden});
            shapes.put(p + "post_attention_layernorm.weight", new int[] {hidden});
            shapes.put(p + "mlp.gate_proj.weight", new int[] {ff, hidden});
            shapes.put(p + "mlp.up_proj.weight", new int[] {ff, hidden});
            shapes.put(p + "mlp.down_proj.weight", new int[] {hidden, ff});
        }
        shapes.put("model.norm.weight", new int[] {hidden});
        shapes.put("lm_head.weight", new int[] {vocab, hidden});
        JsonObject header = new JsonObject();
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long n = java.util.Arrays.stream(e.getValue()).asLongStream().reduce(1, (a, b) -> a * b);
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (int d : e.getValue()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + 4 * n);
            t.add("data_offsets", offsets);
            header.add(e.getKey(), t);
            offset += 4 * n;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + json.length + (int) offset)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        for (var e : shapes.entrySet()) {
            int[] s = e.getValue();
            boolean norm = s.length == 1;
            double std = norm ? 0.05 : s[0] == vocab ? 0.5 : 1 / Math.sqrt(s[1]);
            for (long i = 0, n = norm ? s[0] : (long) s[0] * s[1]; i < n; i++) {
                buf.putFloat((float) ((norm ? 1 : 0) + std * random.nextGaussian()));
            }
        }
        Files.write(dir.resolve("model.safetensors"), buf.array());
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d,
                 "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d,
                 "num_key_value_heads": %d, "max_position_embeddings": 512, "rms_norm_eps": 1e-05,
                 "rope_theta": 10000.0, "vocab_size": %d, "tie_word_embeddings": false,
                 "hidden_act": "silu", "bos_token_id": 259, "eos_token_id": 259, "torch_dtype": "float32"}
                """.formatted(hidden, ff, layers, heads, kvHeads, vocab));
        JsonObject vocabJson = new JsonObject();
        int next = 256;
        for (int b = 0; b < 256; b++) { // GPT-2's bytes_to_unicode: printable bytes as themselves, the rest from U+0100 on
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            vocabJson.addProperty(Character.toString(printable ? b : next++), b);
        }
        vocabJson.addProperty("\u0120t", 256); // U+0120 is the space byte's spelling
        vocabJson.addProperty("he", 257);
        vocabJson.addProperty("\u0120the", 258);
        JsonArray merges = new JsonArray();
        merges.add("\u0120 t");
        merges.add("h e");
        merges.add("\u0120t he");
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("vocab", vocabJson);
        model.add("merges", merges);
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "ByteLevel");
        pre.addProperty("add_prefix_space", false);
        pre.addProperty("trim_offsets", true);
        pre.addProperty("use_regex", true);
        JsonObject special = new JsonObject();
        special.addProperty("id", 259);
        special.addProperty("content", "<|endoftext|>");
        special.addProperty("special", true);
        JsonArray added = new JsonArray();
        added.add(special);
        JsonObject tokenizer = new JsonObject();
        tokenizer.addProperty("version", "1.0");
        tokenizer.add("added_tokens", added);
        tokenizer.add("pre_tokenizer", pre);
        tokenizer.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer.toString());
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\", \"add_bos_token\": false}");
        return dir;
    }

    static void assertOneLineError(Run r) {
        String err = r.err().strip();
        assertTrue(err.startsWith("error: "), r::toString);
        assertFalse(err.contains("\n"), "one line, no stack trace:\n" + r);
    }
}
