package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The resolution rules documented in {@link Settings}, and saving settings without losing lines. */
class SettingsTest {
    private static final Path HOME = Path.of(System.getProperty("user.home"));

    @Test
    void data_dir_flag_then_env_then_config_file_then_xdg_then_home(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("config.properties");
        Map<String, String> env = new HashMap<>(Map.of("POCKETRAG_CONFIG", cfg.toString()));
        assertEquals(HOME.resolve(".local/share/pocketrag"), Settings.load(env).dataDir(null));
        env.put("XDG_DATA_HOME", "/xdg/data");
        assertEquals(Path.of("/xdg/data/pocketrag"), Settings.load(env).dataDir(null));
        Files.writeString(cfg, "dir=~/notes-db\n");
        assertEquals(HOME.resolve("notes-db"), Settings.load(env).dataDir(null));
        env.put("POCKETRAG_DIR", "/env/dir");
        assertEquals(Path.of("/env/dir"), Settings.load(env).dataDir(null));
        assertEquals(Path.of("/flag"), Settings.load(env).dataDir(Path.of("/flag")));
    }

    @Test
    void embedder_flag_then_config_file_by_canonical_name(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.properties");
        assertEquals(Optional.empty(), Settings.load(Map.of(), cfg).embedder(null));
        Files.writeString(cfg, "embedder= BGE-Small \n");
        assertEquals(Optional.of("bge-small"), Settings.load(Map.of(), cfg).embedder(null));
        assertEquals(Optional.of("e5-small"), Settings.load(Map.of(), cfg).embedder("e5-small"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Map.of(), cfg).embedder("bert"));
        assertEquals("unknown embedder 'bert': choose one of minilm, bge-small, e5-small", e.getMessage());
        Files.writeString(cfg, "embedder=bert\n");
        e = assertThrows(IllegalArgumentException.class, () -> Settings.load(Map.of(), cfg).embedder(null));
        assertEquals("config file " + cfg + ": unknown embedder 'bert': choose one of minilm, bge-small, e5-small",
                e.getMessage());
    }

    @Test
    void config_file_location_follows_xdg() {
        assertEquals(Path.of("/c/x.properties"), Settings.configFile(Map.of("POCKETRAG_CONFIG", "/c/x.properties")));
        assertEquals(Path.of("/xdg/pocketrag/config.properties"), Settings.configFile(Map.of("XDG_CONFIG_HOME", "/xdg")));
        assertEquals(HOME.resolve(".config/pocketrag/config.properties"), Settings.configFile(Map.of()));
    }

    @Test
    void model_and_ctx_flag_then_env_then_file(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.properties");
        Files.writeString(cfg, "model=/file/m.gguf\nctx=2048\ndesktop.theme=dark\n");
        Map<String, String> env = new HashMap<>();
        Settings c = Settings.load(env, cfg);
        assertEquals(Optional.of(Path.of("/file/m.gguf")), c.model(null));
        assertEquals(2048, c.ctx(0));
        assertEquals(512, c.ctx(512));
        assertEquals("dark", c.get("desktop.theme", "light"));
        env.put("POCKETRAG_MODEL", "/env/m.gguf");
        assertEquals(Optional.of(Path.of("/env/m.gguf")), Settings.load(env, cfg).model(null));
        assertEquals(Optional.of(Path.of("/flag.gguf")), Settings.load(env, cfg).model(Path.of("/flag.gguf")));
        assertEquals(Optional.empty(), Settings.load(Map.of(), tmp.resolve("missing")).model(null));
        assertEquals("light", Settings.load(Map.of(), tmp.resolve("missing")).get("desktop.theme", "light"));
    }

    @Test
    void rejects_a_threads_setting_that_is_not_a_number_naming_the_file(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.properties");
        Files.writeString(cfg, "threads=two\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Settings.load(Map.of(), cfg).intSetting("threads", 0));
        assertEquals("config file " + cfg + ": threads=two is not a number", e.getMessage());
        assertEquals(7, Settings.load(Map.of(), tmp.resolve("missing")).intSetting("threads", 7));
    }

    @Test
    void rejects_a_ctx_that_is_not_a_number_naming_the_file(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.properties");
        Files.writeString(cfg, "ctx=lots\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.load(Map.of(), cfg).ctx(0));
        assertTrue(e.getMessage().contains("ctx=lots") && e.getMessage().contains(cfg.toString()), e.getMessage());
    }

    @Test
    void save_replaces_removes_and_appends_keys_keeping_every_other_line(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("sub/config.properties");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "# my settings\nthreads=4\nmodel = /old.gguf\n\nctx=1024\n! other comment\n");
        Map<String, String> updates = new HashMap<>();
        updates.put("model", "C:\\models\\new model.gguf");
        updates.put("ctx", null);
        updates.put("desktop.theme", "dark");
        Settings.save(cfg, updates);
        List<String> lines = Files.readAllLines(cfg);
        assertEquals(List.of("# my settings", "threads=4", "model=C:\\\\models\\\\new model.gguf", "", "! other comment",
                "desktop.theme=dark"), lines);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(cfg, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        assertEquals("C:\\models\\new model.gguf", p.getProperty("model"), "round trip through java.util.Properties");
        assertEquals("4", p.getProperty("threads"));
        assertEquals(null, p.getProperty("ctx"));
        try (var files = Files.list(cfg.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }

        Path fresh = tmp.resolve("new/dir/config.properties");
        Settings.save(fresh, Map.of("desktop.theme", "light"));
        assertEquals(List.of("desktop.theme=light"), Files.readAllLines(fresh));
        assertThrows(IllegalArgumentException.class, () -> Settings.save(fresh, Map.of("model", "a\nb")));
    }
}
