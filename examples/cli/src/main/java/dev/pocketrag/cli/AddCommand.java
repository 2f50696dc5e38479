package dev.pocketrag.cli;

import dev.pocketrag.retrieval.Settings;

import dev.pocketrag.index.Note;
import dev.pocketrag.retrieval.Notebook;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    @Option(names = {"-t", "--title"}, description = "Title (default: the first line of the text, or the file name).")
    String title;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag; repeat for several.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--id", description = "Use this id (replaces the note with that id, if any).")
    String id;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Content content;

    static final class Content {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the note from a file (.md or .txt).")
        Path file;

        @Parameters(paramLabel = "TEXT", arity = "1..*", description = "The note's text.")
        List<String> text;
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Settings config = Settings.load();
        String body;
        String source = "";
        String defaultTitle;
        if (content.file != null) {
            byte[] bytes = Files.readAllBytes(content.file);
            body = new String(bytes, StandardCharsets.UTF_8);
            source = content.file.toAbsolutePath().normalize().toString();
            defaultTitle = content.file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        } else {
            body = String.join(" ", content.text);
            defaultTitle = "";
        }
        if (body.isBlank()) {
            throw new UserException("the note is empty");
        }
        String t = title != null ? title : firstLine(body, defaultTitle);
        Instant now = Instant.now();
        Note note = new Note(id != null ? id : UUID.randomUUID().toString(), t, body, tags, source, now, now);
        try (Notebook nb = notebook.openToEmbed(config, null)) {
            if (id != null) {
                var old = nb.get(id);
                if (old.isPresent()) {
                    note = new Note(id, t, body, tags, source, old.get().created(), now);
                }
            }
            nb.add(note);
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
