package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.SearchFilter;
import dev.pocketrag.index.SearchHit;
import dev.pocketrag.index.SearchMode;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.AnswerJson;
import dev.pocketrag.retrieval.SearchOptions;
import dev.pocketrag.server.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Search the notes by meaning and by words (hybrid), best first.")
final class SearchCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Parameters(paramLabel = "QUERY", arity = "1..*", description = "What to look for.")
    List<String> query;

    @Option(names = {"-k", "--k"}, defaultValue = "5", description = "Number of hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--mode", defaultValue = "hybrid",
            description = "hybrid, dense (meaning) or bm25 (words); default: ${DEFAULT-VALUE}.")
    SearchMode mode;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only notes with this tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--all-chunks", description = "Several hits per note (default: the best chunk of each note).")
    boolean allChunks;

    @Option(names = "--json", description = "Print a JSON array of hits.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (k < 1 || k > 1000) {
            throw new UserException("-k must be in 1..1000; got " + k);
        }
        String q = String.join(" ", query).strip();
        if (q.isEmpty()) {
            throw new UserException("the query is empty");
        }
        List<SearchHit> hits;
        List<Map<String, Object>> rows = new ArrayList<>();
        Settings config = Settings.load();
        String e = embedder.resolve(config);
        try (Notebook nb = mode == SearchMode.BM25 ? notebook.openToRead(config, e)
                : notebook.openToReadAndEmbed(config, null, e)) {
            SearchOptions o = SearchOptions.defaults().withK(k).withMode(mode).withGroupByNote(!allChunks)
                    .withFilter(tags.isEmpty() ? SearchFilter.NONE : SearchFilter.NONE.withAllTags(tags));
            hits = nb.stats().chunks() == 0 ? List.of() : nb.search(q, o);
            if (json) {
                for (SearchHit h : hits) {
                    rows.add(AnswerJson.hit(h));
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.of(rows));
            return 0;
        }
        if (hits.isEmpty()) {
            out.println("no notes match");
            return 0;
        }
        for (SearchHit h : hits) {
            String where = (h.page() > 0 ? " · p. " + h.page() : "") + (h.section().isEmpty() ? "" : " · " + h.section());
            out.printf(Locale.ROOT, "%d. %s%s  [%s]%s%n", h.rank(), h.title().isEmpty() ? "(untitled)" : h.title(),
                    where, h.noteId(), h.tags().isEmpty() ? "" : "  #" + String.join(" #", h.tags()));
            out.println("   " + excerpt(h.chunkText(), 240));
        }
        return 0;
    }

    static String excerpt(String text, int max) {
        String t = text.strip().replaceAll("\\s+", " ");
        return t.length() <= max ? t : t.substring(0, max - 3) + "...";
    }
}
