package dev.pocketrag.cli;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * Text from notes (titles, paths, passages, answers) shown on a terminal: its control characters
 * are dropped, so a note cannot send escape sequences to the user's terminal (retitle the window,
 * clear the screen, move the cursor and rewrite what was printed, or worse with some terminals).
 * Dropped: C0 controls but line feed and tab (ESC, BEL, backspace, carriage return ...), DEL, and
 * C1 controls (U+0080..U+009F, which some terminals read as ESC sequences). What is printed to a
 * file or a pipe is left exact, and JSON output has every control character escaped anyway (see
 * {@link Json}).
 */
final class TerminalText {
    private TerminalText() {}

    /** Whether the character is dropped on a terminal. */
    static boolean dropped(char c) {
        return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F);
    }

    /** {@code s} without the characters {@link #dropped} drops. */
    static String strip(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (dropped(c)) {
                if (b == null) {
                    b = new StringBuilder(s.length()).append(s, 0, i);
                }
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }

    /** Whether standard input and output are an interactive terminal. */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** {@code out}, dropping control characters from everything written through it (autoflush). */
    static PrintWriter forTerminal(Writer out) {
        return new PrintWriter(new FilterWriter(out) {
            @Override
            public void write(int c) throws IOException {
                if (!dropped((char) c)) {
                    super.write(c);
                }
            }

            @Override
            public void write(char[] buf, int off, int len) throws IOException {
                write(new String(buf, off, len), 0, len);
            }

            @Override
            public void write(String s, int off, int len) throws IOException {
                String t = strip(s.substring(off, off + len));
                super.write(t, 0, t.length());
            }
        }, true);
    }
}
