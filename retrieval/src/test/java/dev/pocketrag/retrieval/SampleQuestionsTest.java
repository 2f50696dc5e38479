package dev.pocketrag.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.testing.ScriptedChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.embedder.Embedders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The questions of {@code examples/QUESTIONS.md} asked of the sample notes ({@code
 * examples/notes}, imported here with the real MiniLM embedder), with the answers that file
 * expects: the reference, written with the notes and independently of the code.
 *
 * <p>Questions 1, 9 and 10 ask for a fact that changed: an older note has the old value, a newer
 * one the new value. The extractive answer must give the new value citing the newer note first,
 * and never cite the older; a chat model's prompt must show the newer note's passage first, with
 * its date and (where the older note's passage answers too) marked as the one that holds.
 */
class SampleQuestionsTest {
    static final Path EXAMPLES = Path.of("../examples");

    @TempDir
    static Path dir;

    static Embedder embedder;
    static Notebook extractive;
    static Notebook chat;
    static ScriptedChatModel model;
    /** Question number -> the question, its source note and (changed facts) the older note, from QUESTIONS.md. */
    static final Map<Integer, Question> QUESTIONS = new LinkedHashMap<>();

    record Question(int n, String text, String source, String older) {}

    @BeforeAll
    static void importTheSampleNotes() throws IOException {
        assumeTrue(Files.isDirectory(EXAMPLES.resolve("notes")), "skipped: ../examples/notes not found");
        // | 9 | When do the renovation works start? | Monday 18 May ... | `home/x.md` (old dates in `home/y.md`) | |
        Pattern row = Pattern.compile("^\\| (\\d+) \\| ([^|]+?) \\| [^|]+ \\| `([^`]+)`(?: \\(old [^`]*`([^`]+)`\\))?.*");
        for (String line : Files.readAllLines(EXAMPLES.resolve("QUESTIONS.md"))) {
            Matcher m = row.matcher(line);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                QUESTIONS.put(n, new Question(n, m.group(2), m.group(3), m.group(4)));
            }
        }
        assertEquals(12, QUESTIONS.size(), "the table of QUESTIONS.md");
        embedder = Embedders.miniLm();
        Path a = dir.resolve("extractive");
        try (Notebook nb = Notebook.builder(a).embedder(embedder).build()) {
            nb.importFolder(EXAMPLES.resolve("notes"), ImportListener.NONE);
        }
        Path b = dir.resolve("chat");
        try (Stream<Path> files = Files.walk(a)) { // the same index, opened a second time
            for (Path f : files.toList()) {
                Files.copy(f, b.resolve(a.relativize(f).toString()));
            }
        }
        extractive = Notebook.builder(a).embedder(embedder).build();
        model = new ScriptedChatModel("scripted", 4096, "I could not find it in the notes.");
        chat = Notebook.builder(b).embedder(embedder).chatModel(model, false).build();
    }

    @AfterAll
    static void close() throws IOException {
        for (AutoCloseable c : new AutoCloseable[] {chat, extractive, embedder}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        }
    }

    static String file(Answer.Passage p) {
        String s = p.source();
        return s.substring(s.indexOf("/notes/") + "/notes/".length());
    }

    /** The new value each changed-fact question's answer must give (the expected answers of QUESTIONS.md). */
    static final Map<Integer, String> NEW_VALUE = Map.of(1, "6-7 June", 9, "18 May", 10, "14 May");

    @ParameterizedTest
    @ValueSource(ints = {1, 9, 10})
    void a_changed_fact_is_answered_from_the_newer_note(int n) throws IOException {
        Question q = QUESTIONS.get(n);
        Answer a = extractive.ask(q.text());
        assertEquals(Answer.Kind.EXTRACTIVE, a.kind());
        assertTrue(a.text().contains(NEW_VALUE.get(n)), () -> "Q" + n + ": " + a.text());
        assertFalse(a.citations().isEmpty(), a::text);
        Answer.Passage first = a.citations().get(0).passage();
        assertEquals(q.source(), file(first), () -> "Q" + n + " cites first: " + a.text());
        for (Answer.Citation c : a.citations()) {
            assertFalse(file(c.passage()).equals(q.older()), () -> "Q" + n + " cites the older note: " + a.text());
        }
        // the citation says how new its note is
        Answer.Passage older = a.passages().stream().filter(p -> file(p).equals(q.older())).findFirst().orElseThrow(
                () -> new AssertionError("Q" + n + ": the older note " + q.older() + " was not even retrieved"));
        assertTrue(first.date().compareTo(older.date()) > 0, first.date() + " vs " + older.date());
    }

    @ParameterizedTest
    @EnumSource(ContextMode.class)
    void the_chat_models_prompt_puts_the_newer_note_first_dated_and_says_the_newer_holds(ContextMode mode)
            throws IOException {
        for (int n : List.of(1, 9, 10)) {
            Question q = QUESTIONS.get(n);
            int before = model.prompts.size();
            Answer a = chat.ask(q.text(), AskOptions.defaults().withContext(mode));
            List<ChatMessage> prompt = model.prompts.get(before);
            assertTrue(prompt.get(0).content().contains("where notes disagree, the newer note holds"));
            String user = prompt.get(1).content();
            Answer.Passage first = a.passages().get(0);
            assertEquals(q.source(), file(first), () -> "Q" + n + " " + mode + ":\n" + user);
            String block = user.substring(user.indexOf("<note n=\"1\""), user.indexOf("</note>"));
            assertTrue(block.startsWith("<note n=\"1\" title=\"" + first.title().replace('"', '\'') + "\" date=\""
                    + first.date() + "\""), block);
            assertTrue(block.contains(NEW_VALUE.get(n)), () -> "Q" + n + ": the new value is in the first note: " + block);
            List<Answer.Passage> older = a.passages().stream().filter(p -> file(p).equals(q.older())).toList();
            assertFalse(older.isEmpty(), () -> "Q" + n + ": the older note is in the prompt too:\n" + user);
            for (Answer.Passage p : older) {
                // (then the passage's location, if any: page="7" section="...")
                assertTrue(user.contains("<note n=\"" + p.n() + "\" title=\"" + p.title().replace('"', '\'') + "\" date=\""
                        + p.date() + "\""), user);
                assertTrue(p.date().compareTo(first.date()) < 0);
            }
            if (n != 10) {
                // the older notes' passages answer the question too: a conflict, labelled. (Q10's
                // older note, a table row "May; 7 May; ...", says none of its words but "May".)
                assertTrue(block.contains(" newest=\"true\">"), block);
                // "Note [1] (2026-04-28) is newer than ...", or "Notes [1] [3] (...) are newer ..." when
                // two passages of the newer note are shown
                Matcher line = Pattern.compile("\n\nNotes? \\[1\\]( \\[\\d+\\])* \\(" + first.date()
                        + "\\) (is|are) newer than [^\n]*: where they disagree, notes? \\[1\\]( \\[\\d+\\])* holds?\\.\n\n"
                        + "Question: ").matcher(user);
                assertTrue(line.find(), user);
                String said = line.group().substring(0, line.group().indexOf(": where"));
                for (Answer.Passage p : older) {
                    assertTrue(said.contains("[" + p.n() + "]") && said.contains("(" + p.date() + ")"),
                            "the line names the older note: " + said);
                }
            }
        }
    }

    /**
     * Key facts of the expected answers (QUESTIONS.md) the extractive answer gives today: they must
     * stay. (Question 11, "by when did we have to give notice", is not answered extractively: its
     * answer, 120 days before 31 August, is a sum.)
     */
    static final Map<Integer, List<String>> FACTS = Map.of(
            2, List.of("Priya"), 3, List.of("KX-4471"), 4, List.of("3 x 15 each side"),
            5, List.of("Saturday 14 March 2026", "09:30"), 6, List.of("75%"), 7, List.of("1 September 2026", "412 EUR"),
            8, List.of("Obras Silva & Filhos"), 12, List.of("Shellfish", "EpiPen"));

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8, 12})
    void the_other_questions_are_still_answered_from_their_note(int n) throws IOException {
        Question q = QUESTIONS.get(n);
        Answer a = extractive.ask(q.text());
        for (String fact : FACTS.get(n)) {
            assertTrue(a.text().contains(fact), () -> "Q" + n + " lacks '" + fact + "': " + a.text());
        }
        List<String> cited = new ArrayList<>();
        a.citations().forEach(c -> cited.add(file(c.passage())));
        assertEquals(q.source(), cited.get(0), () -> "Q" + n + ": " + a.text() + " " + cited);
    }
}
