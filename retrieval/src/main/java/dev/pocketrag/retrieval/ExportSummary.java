package dev.pocketrag.retrieval;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Notebook#export} wrote.
 *
 * @param folder the folder the notes were written to
 * @param notes notes written, one Markdown file each
 * @param bytes bytes written in all
 * @param differing notes whose file holds their text byte for byte but that {@link
 *     Notebook#importFolder} would read back differently, one line each ({@code "file.md: has
 *     carriage returns (import reads them as line ends)"}); at most {@value #MAX_LISTED}
 * @param differingCount how many such notes there are in all
 */
public record ExportSummary(Path folder, int notes, long bytes, List<String> differing, int differingCount) {

    /** The most notes listed in {@link #differing()}. */
    public static final int MAX_LISTED = 100;

    public ExportSummary {
        Objects.requireNonNull(folder, "folder");
        differing = List.copyOf(differing);
    }
}
