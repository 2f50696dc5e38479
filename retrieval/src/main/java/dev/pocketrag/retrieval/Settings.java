package dev.pocketrag.retrieval;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where a user's notebook and settings live, resolved the same way by every front end (CLI,
 * desktop app, server), so they all work on the same notebook.
 *
 * <ul>
 *   <li>Data directory: {@code --dir}, else {@code $POCKETRAG_DIR}, else {@code dir=} in the config
 *       file, else {@code $XDG_DATA_HOME/pocketrag}, else {@code ~/.local/share/pocketrag}.</li>
 *   <li>Chat model: {@code --model}, else {@code $POCKETRAG_MODEL}, else {@code model=} in the config
 *       file; none means extractive answers. Context: {@code --ctx}, else {@code ctx=}, else 0
 *       (the model's own, at most 4096).</li>
 *   <li>Embedder: {@code --embedder}, else {@code embedder=} in the config file, else the
 *       notebook's own (what its index records; for a new notebook MiniLM).</li>
 *   <li>Index URL: {@code --index-url}, else {@code $POCKETRAG_INDEX_URL}, else {@code index-url=} in
 *       the config file, else none: the index in the data directory ({@link Notebook.Builder#indexUrl}).</li>
 *   <li>Config file: {@code $POCKETRAG_CONFIG}, else {@code $XDG_CONFIG_HOME/pocketrag/config.properties},
 *       else {@code ~/.config/pocketrag/config.properties}. Java properties: {@code dir=},
 *       {@code model=}, {@code ctx=}, {@code threads=}, {@code embedder=}, {@code index-url=}; front ends may keep their own keys there
 *       (the desktop app's {@code desktop.theme=}).</li>
 * </ul>
 *
 * @param env the environment variables to resolve with
 * @param file the config file's settings (empty if it does not exist)
 * @param fileLocation where the config file is (or would be)
 */
public record Settings(Map<String, String> env, Properties file, Path fileLocation) {

    /** The settings of this process: its environment and the config file it points at. */
    public static Settings load() {
        return load(System.getenv());
    }

    /** The settings for {@code env} (for tests: no real environment). */
    public static Settings load(Map<String, String> env) {
        return load(env, configFile(env));
    }

    /**
     * Reads the config file at {@code location} (missing is fine).
     *
     * @throws IllegalArgumentException if it exists but cannot be read or parsed
     */
    public static Settings load(Map<String, String> env, Path location) {
        Properties p = new Properties();
        if (Files.isRegularFile(location)) {
            try (Reader r = Files.newBufferedReader(location, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot read config file " + location + ": " + e.getMessage(), e);
            }
        }
        return new Settings(Map.copyOf(env), p, location);
    }

    /** Where the config file is for {@code env} (it need not exist). */
    public static Path configFile(Map<String, String> env) {
        String explicit = env.get("POCKETRAG_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home().resolve(".config");
        return base.resolve("pocketrag").resolve("config.properties");
    }

    /** The notebook directory, given {@code --dir} (may be null). */
    public Path dataDir(Path flag) {
        if (flag != null) {
            return flag;
        }
        String fromEnv = env.get("POCKETRAG_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        String fromFile = file.getProperty("dir");
        if (fromFile != null && !fromFile.isBlank()) {
            return Path.of(expandHome(fromFile.strip()));
        }
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home().resolve(".local").resolve("share");
        return base.resolve("pocketrag");
    }

    /**
     * Where the notebook's index is, given {@code --index-url} (may be null): the flag, else {@code
     * $POCKETRAG_INDEX_URL}, else {@code index-url=} in the config file; empty for the index in the
     * notebook directory (the default). A blank value is none.
     *
     * @throws IllegalArgumentException naming the value (and where it comes from) if it is not a URL
     *     with a scheme, or a {@code file:} URL without an absolute path
     */
    public Optional<java.net.URI> indexUrl(String flag) {
        String where;
        String v;
        if (flag != null) {
            where = "--index-url";
            v = flag;
        } else if (env.get("POCKETRAG_INDEX_URL") != null && !env.get("POCKETRAG_INDEX_URL").isBlank()) {
            where = "$POCKETRAG_INDEX_URL";
            v = env.get("POCKETRAG_INDEX_URL");
        } else {
            where = "config file " + fileLocation + ": index-url";
            v = file.getProperty("index-url");
        }
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(parseIndexUrl(where, v));
    }

    /**
     * {@code value} as an index URL ({@link Notebook.Builder#indexUrl}).
     *
     * @param where what gave it ({@code --index-url}, a config file's key): the error names it
     * @throws IllegalArgumentException naming {@code where} and the value if it is not a URL with a
     *     scheme, or a {@code file:} URL without an absolute path
     */
    public static java.net.URI parseIndexUrl(String where, String value) {
        java.net.URI url;
        try {
            url = new java.net.URI(value.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(where + ": '" + value.strip() + "' is not a URL: " + e.getMessage(), e);
        }
        try {
            Notebook.checkIndexUrl(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return url;
    }

    /** The chat model file, given {@code --model} (may be null); empty for none. */
    public Optional<Path> model(Path flag) {
        if (flag != null) {
            return Optional.of(flag);
        }
        String fromEnv = env.get("POCKETRAG_MODEL");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(Path.of(expandHome(fromEnv.strip())));
        }
        String fromFile = file.getProperty("model");
        if (fromFile != null && !fromFile.isBlank()) {
            return Optional.of(Path.of(expandHome(fromFile.strip())));
        }
        return Optional.empty();
    }

    /**
     * The built-in embedder to use, given {@code --embedder} (may be null): the flag, else {@code
     * embedder=} in the config file, as its canonical name ({@code minilm}, {@code bge-small},
     * {@code e5-small}); empty for the notebook's own (the one its index records; for a new notebook
     * the default). A notebook made with another refuses it ({@link EmbedderMismatchException}).
     *
     * @throws IllegalArgumentException naming the value and the choices if it is not a built-in
     *     embedder (and the config file, if the value comes from there)
     */
    public Optional<String> embedder(String flag) {
        if (flag != null) {
            return Optional.of(dev.pocketrag.embedder.Embedders.model(flag).name());
        }
        String v = file.getProperty("embedder");
        if (v == null || v.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(dev.pocketrag.embedder.Embedders.model(v.strip()).name());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config file " + fileLocation + ": " + e.getMessage(), e);
        }
    }

    /**
     * The context size, given {@code --ctx} (0 or less: not given); 0 means the model's own.
     *
     * @throws IllegalArgumentException if {@code ctx=} in the config file is not a number
     */
    public int ctx(int flag) {
        if (flag > 0) {
            return flag;
        }
        String v = file.getProperty("ctx");
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("config file " + fileLocation + ": ctx=" + v + " is not a number", e);
        }
    }

    /** A setting of the config file, or {@code fallback} when it is absent or blank. */
    public String get(String key, String fallback) {
        String v = file.getProperty(key);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    /**
     * An integer setting of the config file, or {@code fallback}.
     *
     * @throws IllegalArgumentException naming the file and the value if it is not a number
     */
    public int intSetting(String key, int fallback) {
        String v = file.getProperty(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("config file " + fileLocation + ": " + key + "=" + v + " is not a number", e);
        }
    }

    /**
     * Writes {@code updates} into the config file, keeping every other line (comments, the
     * CLI's settings) as it is: a key's existing line is replaced, a new key appended, a null
     * value removes the key. Written to a temporary file and moved into place.
     */
    public static void save(Path location, Map<String, String> updates) {
        try {
            List<String> lines = Files.isRegularFile(location)
                    ? new ArrayList<>(Files.readAllLines(location, StandardCharsets.UTF_8))
                    : new ArrayList<>();
            Map<String, String> pending = new LinkedHashMap<>(updates);
            List<String> out = new ArrayList<>(lines.size() + pending.size());
            for (String line : lines) {
                String key = keyOf(line);
                if (key != null && updates.containsKey(key)) {
                    if (pending.containsKey(key)) {
                        String v = pending.remove(key);
                        if (v != null) {
                            out.add(key + "=" + escape(v));
                        }
                    }
                    continue; // a repeated key: the first occurrence stands for all of them
                }
                out.add(line);
            }
            pending.forEach((k, v) -> {
                if (v != null) {
                    out.add(k + "=" + escape(v));
                }
            });
            Path parent = location.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".config", ".tmp");
            try {
                Files.write(tmp, out, StandardCharsets.UTF_8);
                Files.move(tmp, location, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write config file " + location + ": " + e.getMessage(), e);
        }
    }

    /** The key a properties line sets, or null for comments, blank lines and continuations we do not parse. */
    private static String keyOf(String line) {
        String s = line.stripLeading();
        if (s.isEmpty() || s.charAt(0) == '#' || s.charAt(0) == '!') {
            return null;
        }
        int end = 0;
        while (end < s.length() && "=: \t\f".indexOf(s.charAt(end)) < 0 && s.charAt(end) != '\\') {
            end++;
        }
        return end == 0 ? null : s.substring(0, end);
    }

    /** A value in properties syntax: backslashes doubled, a leading blank kept. */
    private static String escape(String v) {
        if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a setting cannot contain a line break: '" + v + "'");
        }
        String e = v.replace("\\", "\\\\");
        return e.startsWith(" ") ? "\\" + e : e;
    }

    private static Path home() {
        return Path.of(System.getProperty("user.home"));
    }

    private static String expandHome(String p) {
        return p.startsWith("~/") ? home().resolve(p.substring(2)).toString() : p;
    }
}
