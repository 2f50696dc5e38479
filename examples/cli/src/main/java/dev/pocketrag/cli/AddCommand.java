package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = {"Add a note: its text as arguments, or a file with --file.",
                "Prints the new note's id."})
final class AddCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Option(names = {"-t", "--title"}, description = "Title (default: the first line of the text, or the file name).")
    String title;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--id", description = "Use this id (replaces the note with that id, if any).")
    String id;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Content content;

    static final class Content {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE",
                description = "Read the note from a file, as import does (.md, .html, else plain text);"
                        + " empty, binary and non-UTF-8 files are refused.")
        Path file;

        @Parameters(paramLabel = "TEXT", arity = "1..*", description = "The note's text.")
        List<String> text;
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Settings config = Settings.load();
        Note note;
        Instant now = Instant.now();
        if (content.file != null) {
            // the importer's rules: binary, non-UTF-8, empty files are refused with the reason
            Note read = Notebook.readNoteFile(content.file);
            List<String> allTags = new ArrayList<>(read.tags());
            allTags.addAll(tags);
            note = new Note(id != null ? id : read.id(), title != null ? title : read.title(), read.body(),
                    allTags, read.source(), read.created(), read.updated());
        } else {
            String body = String.join(" ", content.text);
            if (body.isBlank()) {
                throw new UserException("the note is empty");
            }
            note = new Note(id != null ? id : UUID.randomUUID().toString(), title != null ? title : firstLine(body, ""),
                    body, tags, "", now, now);
        }
        try (Notebook nb = notebook.openToEmbed(config, null, embedder.resolve(config))) {
            if (id != null) {
                var old = nb.get(id);
                if (old.isPresent()) {
                    note = new Note(id, note.title(), note.body(), note.tags(), note.source(), old.get().created(), now);
                }
            }
            note = nb.add(note);
        }
        spec.commandLine().getOut().println(note.id());
        return 0;
    }

    static String firstLine(String body, String fallback) {
        String first = body.strip().lines().findFirst().orElse("").strip().replaceFirst("^#+\\s*", "");
        if (first.isEmpty()) {
            return fallback;
        }
        return first.length() <= 80 ? first : first.substring(0, 77) + "...";
    }
}
