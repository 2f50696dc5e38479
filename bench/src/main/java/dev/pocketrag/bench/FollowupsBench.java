package dev.pocketrag.bench;

import dev.pocketrag.index.SearchHit;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.Conversation;
import dev.pocketrag.retrieval.ImportListener;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.SearchOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench/run followups [--json]}: follow-up questions with and without the conversation's
 * context, over the sample notes.
 *
 * <p>Reads the two-turn dialogues of {@code examples/FOLLOWUPS.md} (each with the note the second
 * turn should cite first), imports {@code examples/notes} into a temporary notebook (no chat model)
 * and, for each dialogue, checks which note comes first for the second turn:
 * <ol>
 *   <li>(a) the second question alone: the top note of a hybrid search for it (the peer);</li>
 *   <li>(a') the extractive answer to the second question alone: its first citation;</li>
 *   <li>(b) the rule-based rewrite: the top note of a hybrid search for the standalone query a
 *       {@link Conversation} made after the first turn ({@link Answer#searchedFor()});</li>
 *   <li>(c) the extractive answer in the conversation: its first citation.</li>
 * </ol>
 * Prints the share of dialogues right for each, and the difference (b) - (a). The goal: (b) at
 * least 0.9 and at least 0.3 above (a). Timing-free: the numbers do not depend on machine load.
 */
final class FollowupsBench {
    private FollowupsBench() {}

    /** One dialogue of FOLLOWUPS.md. */
    record Dialogue(int n, String first, String second, String expected) {}

    static int run(String[] args) throws IOException {
        boolean json = false;
        Path kvModel = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].equals("--kv") && i + 1 < args.length) {
                kvModel = Path.of(args[++i]);
            } else {
                System.err.println("error: unknown argument '" + args[i] + "'; usage: bench/run followups [--json]"
                        + " [--kv FILE.gguf]");
                return 2;
            }
        }
        Path root = GenerationBench.benchTarget().getParent().getParent();
        Path file = root.resolve("examples/FOLLOWUPS.md");
        Path notes = root.resolve("examples/notes");
        for (Path p : List.of(file, notes)) {
            if (!Files.exists(p)) {
                System.err.println("error: " + p + " not found (run from a pocketrag checkout)");
                return 2;
            }
        }
        List<Dialogue> dialogues = dialogues(file);
        if (kvModel != null) {
            return kv(notes, kvModel);
        }
        Path work = Files.createTempDirectory("pocketrag-followups-");
        List<Map<String, Object>> rows = new ArrayList<>();
        int[] right = new int[4]; // a, a', b, c
        try (Notebook nb = Notebook.open(work.resolve("notebook"))) {
            long t0 = System.nanoTime();
            nb.importFolder(notes, ImportListener.NONE);
            System.err.printf(Locale.ROOT, "followups: %d dialogues, %d notes imported in %.1f s%n", dialogues.size(),
                    nb.stats().notes(), (System.nanoTime() - t0) / 1e9);
            for (Dialogue d : dialogues) {
                String alone = top(nb, d.second());
                String aloneAnswer = firstCited(nb, nb.ask(d.second()));
                Answer second;
                try (Conversation c = nb.conversation()) {
                    c.ask(d.first());
                    second = c.ask(d.second());
                }
                String rewritten = top(nb, second.searchedFor());
                String answer = firstCited(nb, second);
                String[] got = {alone, aloneAnswer, rewritten, answer};
                for (int i = 0; i < 4; i++) {
                    if (got[i].endsWith(d.expected())) {
                        right[i]++;
                    }
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("n", d.n());
                row.put("second", d.second());
                row.put("expected", d.expected());
                row.put("searched_for", second.searchedFor());
                row.put("alone_top", relative(notes, alone));
                row.put("alone_answer_cites", relative(notes, aloneAnswer));
                row.put("rewrite_top", relative(notes, rewritten));
                row.put("answer_cites", relative(notes, answer));
                rows.add(row);
                if (!json) {
                    System.out.printf(Locale.ROOT, "%2d %s%s%s%s  %s -> searched for: %s%n", d.n(), mark(alone, d),
                            mark(aloneAnswer, d), mark(rewritten, d), mark(answer, d), d.second(), second.searchedFor());
                    System.out.printf(Locale.ROOT, "     alone: best similarity %.3f%n", bestSimilarity(nb, d.second()));
                    if (!rewritten.endsWith(d.expected())) {
                        System.out.println("     (b) found " + relative(notes, rewritten) + ", expected " + d.expected());
                    }
                }
            }
        } finally {
            deleteTree(work);
        }
        double n = dialogues.size();
        double a = right[0] / n;
        double a2 = right[1] / n;
        double b = right[2] / n;
        double c = right[3] / n;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("dialogues", dialogues.size());
            o.put("alone_top", a);
            o.put("alone_answer", a2);
            o.put("rule_rewrite_top", b);
            o.put("extractive_conversation_answer", c);
            o.put("rewrite_minus_alone", b - a);
            o.put("goal_met", b >= 0.9 && b - a >= 0.3);
            o.put("rows", rows);
            System.out.println(Jsons.of(o));
        } else {
            System.out.println("(columns: a, a', b, c; + right, - wrong)");
            System.out.printf(Locale.ROOT, "second turns whose first note is the expected one, of %d:%n", dialogues.size());
            System.out.printf(Locale.ROOT, "  (a)  the second question alone, top search hit:     %.2f  (peer)%n", a);
            System.out.printf(Locale.ROOT, "  (a') the second question alone, extractive answer:  %.2f%n", a2);
            System.out.printf(Locale.ROOT, "  (b)  rule-based rewrite, top search hit:            %.2f  (%+.2f vs a)%n", b, b - a);
            System.out.printf(Locale.ROOT, "  (c)  extractive answer in the conversation:         %.2f  (%+.2f vs a')%n", c, c - a2);
            System.out.println("  goal (b >= 0.90 and b - a >= 0.30): " + (b >= 0.9 && b - a >= 0.3 ? "met" : "NOT met"));
        }
        return 0;
    }

    /**
     * {@code --kv FILE.gguf}: one three-turn conversation answered by the GGUF model (8 answer
     * tokens, 3 passages): per turn the answer prompt's tokens, how many of them the engine reused
     * from earlier calls, and the time it took to read the rest. Each follow-up also makes one
     * rewrite call, which runs between two answers.
     */
    private static int kv(Path notes, Path model) throws IOException {
        Path work = Files.createTempDirectory("pocketrag-followups-kv-");
        try (Notebook nb = Notebook.builder(work.resolve("notebook"))
                .chatModel(dev.pocketrag.generation.GgufChatModel.load(model,
                        dev.pocketrag.generation.GgufChatModel.Options.defaults().withContextLength(4096)))
                .build()) {
            nb.importFolder(notes, ImportListener.NONE);
            dev.pocketrag.retrieval.AskOptions o = dev.pocketrag.retrieval.AskOptions.defaults().withMaxAnswerTokens(8)
                    .withPassages(3);
            try (Conversation c = nb.conversation()) {
                for (String q : List.of("When is the Atlas cut-over?", "Who owns the rollback?",
                        "And what if it slips again?")) {
                    Answer a = c.ask(q, o, dev.pocketrag.chat.TokenListener.NONE);
                    Answer.Timings t = a.timings();
                    System.out.printf(Locale.ROOT, "%-30s prompt %5d tokens, reused %5d, read in %7.0f ms; earlier turns"
                            + " left out: %d%n", q, t.promptTokens(), t.cachedPromptTokens(), t.promptMillis(),
                            a.leftOut().stream().filter(l -> l.noteId().isEmpty()).count());
                }
            }
        } finally {
            deleteTree(work);
        }
        return 0;
    }

    private static String mark(String got, Dialogue d) {
        return got.endsWith(d.expected()) ? "+" : "-";
    }

    /** The source of the top note for {@code query}, empty if none. */
    private static String top(Notebook nb, String query) throws IOException {
        List<SearchHit> hits = nb.search(query, SearchOptions.defaults().withK(1));
        return hits.isEmpty() ? "" : source(nb, hits.get(0).noteId());
    }

    private static double bestSimilarity(Notebook nb, String query) throws IOException {
        double best = -1;
        for (SearchHit h : nb.search(query, SearchOptions.defaults().withK(5))) {
            if (!Double.isNaN(h.denseScore())) {
                best = Math.max(best, 2 * h.denseScore() - 1);
            }
        }
        return best;
    }

    private static String firstCited(Notebook nb, Answer a) throws IOException {
        return a.citations().isEmpty() ? "" : source(nb, a.citations().get(0).passage().noteId());
    }

    private static String source(Notebook nb, String noteId) throws IOException {
        return nb.get(noteId).map(dev.pocketrag.index.Note::source).orElse("");
    }

    private static String relative(Path notes, String source) {
        String prefix = notes.toAbsolutePath().normalize() + "/";
        return source.startsWith(prefix) ? source.substring(prefix.length()) : source;
    }

    /** The table rows of FOLLOWUPS.md: {@code | n | first | second | expected |}. */
    static List<Dialogue> dialogues(Path file) throws IOException {
        List<Dialogue> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.matches("\\|\\s*\\d+\\s*\\|.*")) {
                continue;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 5) {
                throw new IOException(file + ": a dialogue row needs 4 cells: " + line);
            }
            out.add(new Dialogue(Integer.parseInt(cells[1].strip()), cells[2].strip(), cells[3].strip(), cells[4].strip()));
        }
        if (out.size() < 20) {
            throw new IOException(file + ": " + out.size() + " dialogues; the bench wants at least 20");
        }
        return out;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
