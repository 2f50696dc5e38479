package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.retrieval.Answer;
import dev.pocketrag.retrieval.AskOptions;
import dev.pocketrag.retrieval.ContextMode;
import dev.pocketrag.retrieval.ImportProgress;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Try pocketrag: answer questions from the sample notes, with citations.",
                "Imports examples/notes and examples/documents (a PDF, DOCX, ODT and EPUB) into a throwaway notebook"
                        + " and asks it a few questions; your own notebook is not touched."})
final class DemoCommand implements Callable<Integer> {
    /** Questions with one clear answer in the sample notes (see examples/QUESTIONS.md). */
    static final List<String> QUESTIONS = List.of(
            "What is the booking reference for the hotel in Kyoto?",
            "How many clamshells should I do for my knee?",
            "When does my car insurance renew, and how much is it?",
            "What number do I call to make a claim on the home contents insurance?");

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--embedder", paramLabel = "NAME",
            description = "Embedding model of the throwaway notebook: minilm (the default), bge-small or e5-small.")
    String embedder;

    @Option(names = "--notes", paramLabel = "DIR", description = "Folder of notes to use (default: the sample notes).")
    Path notes;

    @Option(names = "--context", paramLabel = "whole|focused",
            description = "What of each passage the chat model reads: focused (the sentences that matter) or whole chunks;"
                    + " default: focused.")
    ContextMode context;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Settings config = Settings.load();
        String e;
        try {
            e = config.embedder(embedder).orElse(null);
        } catch (IllegalArgumentException bad) {
            throw new UserException((embedder != null ? "--embedder: " : "") + bad.getMessage());
        }
        Path folder = notes != null ? notes : sampleNotes();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("pocketrag-demo-");
        Path docs = null;
        try {
            ChatModel model = modelOptions.load(config);
            try (Notebook nb = Notebook.builder(dir).embedder(e).chatModel(model, true).build()) {
                out.println("Importing " + folder + " into a throwaway notebook ...");
                out.flush();
                long t0 = System.nanoTime();
                ImportProgress p = ImportCommand.run(nb, folder, System.console() != null);
                out.println(ImportCommand.summary(p, (System.nanoTime() - t0) / 1e9));
                Path documents = notes != null ? null : folder.resolveSibling("documents");
                if (documents != null && Files.isDirectory(documents)) {
                    // the documents alone (not the folder's README and sources), as a folder to import
                    docs = Files.createTempDirectory("pocketrag-demo-documents-");
                    try (var files = Files.list(documents)) {
                        for (Path f : files.filter(f -> Files.isRegularFile(f) && isDocument(f)).toList()) {
                            Files.copy(f, docs.resolve(f.getFileName().toString()));
                        }
                    }
                    out.println("Importing the documents of " + documents + " ...");
                    out.flush();
                    long t1 = System.nanoTime();
                    ImportProgress d = ImportCommand.run(nb, docs, System.console() != null);
                    out.println(ImportCommand.summary(d, (System.nanoTime() - t1) / 1e9));
                }
                for (String q : QUESTIONS) {
                    out.println();
                    out.println("Q: " + q);
                    out.print("A: ");
                    out.flush();
                    AskOptions options = context == null ? AskOptions.defaults() : AskOptions.defaults().withContext(context);
                    Answer a = nb.ask(q, options, piece -> {
                        out.print(piece);
                        out.flush();
                        return true;
                    });
                    out.println();
                    printSources(out, a);
                }
                out.println();
                out.println(model == null
                        ? "These answers are extractive (no chat model). Add --model FILE.gguf to generate them."
                        : String.format(Locale.ROOT, "Answers generated by %s.", model.name()));
                out.println("Your turn: ./pocketrag import ~/notes && ./pocketrag ask \"...\"");
            }
        } finally {
            deleteTree(dir);
            if (docs != null) {
                deleteTree(docs);
            }
        }
        return 0;
    }

    /** A PDF, DOCX, ODT or EPUB file. */
    private static boolean isDocument(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".pdf") || n.endsWith(".docx") || n.endsWith(".odt") || n.endsWith(".epub");
    }

    private static void printSources(PrintWriter out, Answer a) {
        for (Answer.Citation c : a.citations()) {
            Answer.Passage p = c.passage();
            out.printf(Locale.ROOT, "   [%d] %s%s%s (%s)%n", c.n(), p.title(),
                    p.location().isEmpty() ? "" : " · " + p.location(), p.date().isEmpty() ? "" : " · " + p.date(),
                    shortSource(p.source()));
        }
        out.flush();
    }

    private static String shortSource(String source) {
        int i = source.indexOf("examples/notes/");
        if (i < 0 && source.contains("pocketrag-demo-documents-")) { // the copy of examples/documents
            return "examples/documents/" + source.substring(source.lastIndexOf('/') + 1);
        }
        return i >= 0 ? source.substring(i) : source;
    }

    /** examples/notes of the checkout the launcher runs from, or of the working directory. */
    static Path sampleNotes() {
        String home = System.getProperty("pocketrag.home");
        for (Path candidate : new Path[] {
                home == null ? null : Path.of(home, "examples", "notes"),
                Path.of("examples", "notes")}) {
            if (candidate != null && Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new UserException("sample notes not found (examples/notes of the pocketrag checkout); "
                + "use --notes DIR to point at a folder of notes");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
