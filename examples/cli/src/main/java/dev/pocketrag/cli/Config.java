package dev.pocketrag.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where pocketrag keeps things, and the user's settings.
 *
 * <ul>
 *   <li>Data directory: {@code --dir}, else {@code $POCKETRAG_DIR}, else {@code dir=} in the config
 *       file, else {@code $XDG_DATA_HOME/pocketrag}, else {@code ~/.local/share/pocketrag}.</li>
 *   <li>Chat model: {@code --model}, else {@code $POCKETRAG_MODEL}, else {@code model=} in the config
 *       file; none means extractive answers.</li>
 *   <li>Config file: {@code $POCKETRAG_CONFIG}, else {@code $XDG_CONFIG_HOME/pocketrag/config.properties},
 *       else {@code ~/.config/pocketrag/config.properties} (Java properties: {@code model=},
 *       {@code dir=}, {@code ctx=}, {@code threads=}).</li>
 * </ul>
 */
record Config(Map<String, String> env, Properties file, Path fileLocation) {

    static Config load() {
        return load(System.getenv());
    }

    static Config load(Map<String, String> env) {
        Path location = configFile(env);
        Properties p = new Properties();
        if (Files.isRegularFile(location)) {
            try (Reader r = Files.newBufferedReader(location, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new UserException("cannot read config file " + location + ": " + e.getMessage());
            }
        }
        return new Config(env, p, location);
    }

    static Path configFile(Map<String, String> env) {
        String explicit = env.get("POCKETRAG_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home().resolve(".config");
        return base.resolve("pocketrag").resolve("config.properties");
    }

    /** The notebook directory, given {@code --dir} (may be null). */
    Path dataDir(Path flag) {
        if (flag != null) {
            return flag;
        }
        String env = this.env.get("POCKETRAG_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String fromFile = file.getProperty("dir");
        if (fromFile != null && !fromFile.isBlank()) {
            return Path.of(expandHome(fromFile.strip()));
        }
        String xdg = this.env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home().resolve(".local").resolve("share");
        return base.resolve("pocketrag");
    }

    /** The chat model file, given {@code --model} (may be null); empty for none. */
    Optional<Path> model(Path flag) {
        if (flag != null) {
            return Optional.of(flag);
        }
        String env = this.env.get("POCKETRAG_MODEL");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(expandHome(env.strip())));
        }
        String fromFile = file.getProperty("model");
        if (fromFile != null && !fromFile.isBlank()) {
            return Optional.of(Path.of(expandHome(fromFile.strip())));
        }
        return Optional.empty();
    }

    /** An integer setting from the config file, or {@code fallback}. */
    int intSetting(String key, int fallback) {
        String v = file.getProperty(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new UserException("config file " + fileLocation + ": " + key + "=" + v + " is not a number");
        }
    }

    private static Path home() {
        return Path.of(System.getProperty("user.home"));
    }

    private static String expandHome(String p) {
        return p.startsWith("~/") ? home().resolve(p.substring(2)).toString() : p;
    }
}
