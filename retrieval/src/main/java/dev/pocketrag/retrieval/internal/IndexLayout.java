package dev.pocketrag.retrieval.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * Which folder of a notebook directory holds its current index, and the folder a re-index builds.
 *
 * <p>Index folders are generations: {@code index/} is generation 0 (every notebook starts there),
 * {@code index-N/} generation N, made by the N-th re-index (another embedding model). The pointer
 * file {@value #POINTER} names the current one; without it, it is {@code index/}. A re-index of a
 * notebook whose current index is generation G builds generation G+1 beside it, and switches by
 * writing the pointer; the folders of older generations are then deleted.
 *
 * <p>Pointer file layout, version 1 (UTF-8 text, three lines, each ending in {@code \n}):
 * <pre>
 * pocketrag-index-pointer 1     magic and version
 * index-2                       the current folder: "index" or "index-N" (N in 1..999999999)
 * crc32 0a1b2c3d                CRC-32 of the second line's bytes with its \n, 8 hex digits
 * </pre>
 * Written crash-safe: a temporary file beside it ({@code .index.current.<pid>.<thread>.tmp}, see {@link AtomicFiles}), forced, renamed
 * over it atomically, the folder forced: after a crash it names the old folder or the new one.
 *
 * <h2>States a crash can leave, and what opening does with each</h2>
 * <ol>
 *   <li>Generation G+1 exists, the pointer names G (a re-index under way or killed): the notebook
 *       opens G, as if nothing happened; the next re-index to the same model carries on in G+1
 *       (notes already there are not embedded again), one to another model deletes G+1 first.</li>
 *   <li>The pointer names G+1 and G still exists (killed after the switch, before the old folder
 *       was deleted, or while it was): the notebook opens G+1; a process that opens it to write
 *       deletes the folders of generations below the pointer's ({@link #stale}).</li>
 *   <li>A temporary pointer file of a process that is gone: ignored, and deleted at the next switch.</li>
 * </ol>
 * A process that read the pointer just before a switch and opens the old folder finds, once it
 * has the folder's lock (or its last commit, when only reading), that the pointer has moved, and
 * opens again from the pointer (see {@code Notebook}).
 */
public final class IndexLayout {
    /** The pointer file's name in the notebook directory. */
    public static final String POINTER = "index.current";
    static final String MAGIC = "pocketrag-index-pointer";
    static final int VERSION = 1;
    /** The name of generation 0. */
    public static final String FIRST = "index";
    private static final Pattern NAME = Pattern.compile("index(?:-([1-9][0-9]{0,8}))?");

    private IndexLayout() {}

    /** The generation an index folder's name stands for, or -1 if it is not one. */
    public static int generation(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return -1;
        }
        return m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
    }

    /** The folder name of generation {@code g}. */
    public static String name(int g) {
        if (g < 0 || g > 999_999_999) {
            throw new IllegalArgumentException("generation=" + g + ", must be in [0, 999999999]");
        }
        return g == 0 ? FIRST : FIRST + "-" + g;
    }

    /**
     * The folder of the notebook's current index (it need not exist yet: a new notebook).
     *
     * @throws IOException if the pointer file cannot be read or is damaged (the message names it,
     *     the folders there are, and the way back)
     */
    public static Path current(Path notebook) throws IOException {
        return notebook.resolve(currentName(notebook));
    }

    /** The name of {@link #current}. */
    public static String currentName(Path notebook) throws IOException {
        Path p = notebook.resolve(POINTER);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return FIRST;
        }
        String why = null;
        String name = null;
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        if (lines.length != 4 || !lines[3].isEmpty()) {
            why = "not three lines";
        } else if (!lines[0].equals(MAGIC + " " + VERSION)) {
            why = lines[0].startsWith(MAGIC + " ") ? "version '" + lines[0].substring(MAGIC.length() + 1)
                    + "', this version of pocketrag reads " + VERSION : "no '" + MAGIC + "' header";
        } else if (!lines[2].equals(String.format(java.util.Locale.ROOT, "crc32 %08x", crc(lines[1])))) {
            why = "its checksum does not match";
        } else if (generation(lines[1]) < 0) {
            why = "it names '" + lines[1] + "', not an index folder";
        } else {
            name = lines[1];
        }
        if (why != null) {
            throw new IOException("the notebook's index pointer " + p + " is damaged (" + why + "); it names the"
                    + " folder of the current index (the one with the highest number of " + folders(notebook)
                    + ", unless a re-index was under way): restore the notebook from a backup, or delete the pointer"
                    + " and rename that folder to '" + FIRST + "'");
        }
        return name;
    }

    /** The index folders there are, by name, for messages. */
    private static List<String> folders(Path notebook) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(notebook, Files::isDirectory)) {
            for (Path d : s) {
                if (generation(d.getFileName().toString()) >= 0) {
                    out.add(d.getFileName().toString());
                }
            }
        } catch (IOException e) {
            // only for a message
        }
        out.sort(null);
        return out;
    }

    /** The folder a re-index of the notebook builds: the generation after the current one. */
    public static Path next(Path notebook) throws IOException {
        return notebook.resolve(name(generation(currentName(notebook)) + 1));
    }

    /**
     * Makes {@code folder} (an index folder of the notebook) the current one, crash-safe (see the
     * class comment).
     */
    public static void point(Path notebook, String folder) throws IOException {
        if (generation(folder) < 0) {
            throw new IllegalArgumentException("'" + folder + "' is not an index folder name");
        }
        byte[] bytes = (MAGIC + " " + VERSION + "\n" + folder + "\n"
                + String.format(java.util.Locale.ROOT, "crc32 %08x", crc(folder)) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(notebook.resolve(POINTER), bytes);
    }

    private static long crc(String line) {
        CRC32 c = new CRC32();
        c.update((line + "\n").getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }

    /** The folders of generations below the current one: left by a switch, to be deleted. */
    public static List<Path> stale(Path notebook) throws IOException {
        int current = generation(currentName(notebook));
        List<Path> out = new ArrayList<>();
        if (current == 0 || !Files.isDirectory(notebook)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(notebook, Files::isDirectory)) {
            for (Path d : s) {
                int g = generation(d.getFileName().toString());
                if (g >= 0 && g < current) {
                    out.add(d);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** The folder of an unfinished re-index (the generation after the current one), if there is one. */
    public static Optional<Path> unfinished(Path notebook) throws IOException {
        Path next = next(notebook);
        return Files.isDirectory(next) ? Optional.of(next) : Optional.empty();
    }

    /** Deletes a folder and everything in it; a file already gone is fine. */
    public static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    throw exc;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
