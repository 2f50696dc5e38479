package dev.pocketrag.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the scripts of {@code clients-test/} (the official {@code openai} and
 * {@code @modelcontextprotocol/sdk} npm packages, versions pinned by its {@code package-lock.json})
 * with Node. Skipped (a JUnit assumption with a message) when {@code node} is not on the PATH or
 * {@code npm ci --prefix clients-test} has not been run; {@code .ci/run} runs it. (The CLI's tests use it
 * too, through this module's test-jar.)
 */
public final class NodeClients {
    private NodeClients() {}

    /** {@code clients-test/} of the checkout (tests run in their module's folder). */
    public static Path folder() {
        Path f = Path.of(System.getProperty("pocketrag.clients", "../../clients-test")).toAbsolutePath().normalize();
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "skipped: `node --version` failed: " + v);
        } catch (IOException | InterruptedException e) {
            assumeTrue(false, "skipped: Node is not installed (no `node` on the PATH): " + e.getMessage());
        }
        assumeTrue(Files.isDirectory(f.resolve("node_modules/openai"))
                        && Files.isDirectory(f.resolve("node_modules/@modelcontextprotocol/sdk")),
                () -> "skipped: the npm clients are not installed: run `npm ci --prefix " + f + "` (.ci/run does)");
        return f;
    }

    /**
     * Runs {@code node SCRIPT ARGS...} in {@code folder} with {@code env} added to this process's
     * environment, and returns the JSON object it prints last.
     *
     * @throws AssertionError with its output if it fails or takes longer than {@code timeout}
     */
    public static JsonObject run(Path folder, Duration timeout, Map<String, String> env, String script, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("node-client", ".out");
        Path err = Files.createTempFile("node-client", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(folder.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(script + " did not finish in " + timeout + "; stderr:\n" + Files.readString(err));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(script + " exited with " + p.exitValue() + "; stdout:\n" + stdout + "\nstderr:\n"
                        + stderr);
            }
            String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
            try {
                return JsonParser.parseString(last).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new AssertionError(script + " printed no JSON object; stdout:\n" + stdout + "\nstderr:\n" + stderr, e);
            }
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
