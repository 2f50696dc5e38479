package dev.pocketrag.desktop;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Component;
import java.awt.GraphicsEnvironment;
import java.awt.Point;
import java.awt.Rectangle;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.awt.event.MouseEvent;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import javax.imageio.ImageIO;
import javax.swing.JEditorPane;
import javax.swing.SwingUtilities;
import javax.swing.text.AttributeSet;
import javax.swing.text.BadLocationException;
import javax.swing.text.JTextComponent;
import javax.swing.text.html.HTML;
import javax.swing.text.html.HTMLDocument;

/** Driving Swing from a test thread: events dispatched on the components, polling waits, screenshots. */
final class Ui {
    private Ui() {}

    /** Skips the test (with a message) when there is no display to open windows on. */
    static void assumeDisplay() {
        String display = System.getenv("DISPLAY");
        boolean linux = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
        assumeTrue(!linux || (display != null && !display.isBlank()),
                "no DISPLAY: the UI test needs an X display (CI runs it under Xvfb: .ci/run)");
        assumeTrue(!GraphicsEnvironment.isHeadless(),
                "headless JVM: the UI test needs a display (CI runs it under Xvfb: .ci/run)");
    }

    /** Runs {@code c} on the event thread and returns its result. */
    static <T> T onEdt(Callable<T> c) {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Exception> err = new AtomicReference<>();
        try {
            SwingUtilities.invokeAndWait(() -> {
                try {
                    out.set(c.call());
                } catch (Exception e) {
                    err.set(e);
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (err.get() != null) {
            throw new IllegalStateException(err.get());
        }
        return out.get();
    }

    static void onEdt(Runnable r) {
        onEdt(() -> {
            r.run();
            return null;
        });
    }

    /**
     * Polls {@code condition} on the event thread every 50 ms until it holds; fails after
     * {@code timeout} with {@code what} and {@code state} (evaluated then) in the message.
     */
    static void waitUntil(String what, Duration timeout, Callable<Boolean> condition, Callable<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Boolean.TRUE.equals(onEdt(condition))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; state: " + onEdt(state));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Types {@code text} into {@code c} as key pressed / typed / released events, one character at a time. */
    static void type(JTextComponent c, String text) {
        for (char ch : text.toCharArray()) {
            onEdt(() -> {
                long when = System.currentTimeMillis();
                int code = KeyEvent.getExtendedKeyCodeForChar(ch);
                int mods = 0; // the character itself is in the event; no key binding needs a modifier here
                c.dispatchEvent(new KeyEvent(c, KeyEvent.KEY_PRESSED, when, mods, code, ch));
                c.dispatchEvent(new KeyEvent(c, KeyEvent.KEY_TYPED, when, mods, KeyEvent.VK_UNDEFINED, ch));
                c.dispatchEvent(new KeyEvent(c, KeyEvent.KEY_RELEASED, when, mods, code, ch));
            });
        }
    }

    /** Presses and releases Enter in {@code c}. */
    static void pressEnter(Component c) {
        onEdt(() -> {
            long when = System.currentTimeMillis();
            c.dispatchEvent(new KeyEvent(c, KeyEvent.KEY_PRESSED, when, 0, KeyEvent.VK_ENTER, '\n'));
            c.dispatchEvent(new KeyEvent(c, KeyEvent.KEY_RELEASED, when, 0, KeyEvent.VK_ENTER, '\n'));
        });
    }

    /** A left click (pressed, released, clicked) at {@code p} in {@code c}'s coordinates. */
    static void click(Component c, Point p) {
        onEdt(() -> {
            long when = System.currentTimeMillis();
            for (int id : new int[] {MouseEvent.MOUSE_PRESSED, MouseEvent.MOUSE_RELEASED, MouseEvent.MOUSE_CLICKED}) {
                int mods = id == MouseEvent.MOUSE_PRESSED ? InputEvent.BUTTON1_DOWN_MASK : 0;
                c.dispatchEvent(new MouseEvent(c, id, when, mods, p.x, p.y, 1, false, MouseEvent.BUTTON1));
            }
        });
    }

    static Point center(Rectangle r) {
        return new Point(r.x + r.width / 2, r.y + r.height / 2);
    }

    /** Where, in the pane, the first link with {@code href} is drawn; null if there is none. */
    static Point linkPoint(JEditorPane pane, String href) {
        return onEdt(() -> {
            HTMLDocument doc = (HTMLDocument) pane.getDocument();
            for (HTMLDocument.Iterator it = doc.getIterator(HTML.Tag.A); it.isValid(); it.next()) {
                AttributeSet a = it.getAttributes();
                if (href.equals(a.getAttribute(HTML.Attribute.HREF))) {
                    int mid = (it.getStartOffset() + it.getEndOffset()) / 2;
                    try {
                        return center(pane.modelToView2D(mid).getBounds());
                    } catch (BadLocationException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            return null;
        });
    }

    /**
     * Paints the window's content (without the window manager's frame) into an image: no screen
     * capture, so it works with any window manager or none.
     */
    static BufferedImage paint(javax.swing.RootPaneContainer w) {
        return onEdt(() -> {
            javax.swing.JRootPane root = w.getRootPane();
            BufferedImage img = new BufferedImage(root.getWidth(), root.getHeight(), BufferedImage.TYPE_INT_RGB);
            var g = img.createGraphics();
            try {
                root.printAll(g);
            } finally {
                g.dispose();
            }
            return img;
        });
    }

    static Path save(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer for " + file);
        }
        return file;
    }

    /** How many distinct colours the image has (a blank or failed paint has one or two). */
    static int colours(BufferedImage img) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                seen.add(img.getRGB(x, y));
                if (seen.size() > 64) {
                    return seen.size();
                }
            }
        }
        return seen.size();
    }

    /** The module's folder (surefire's basedir), for target/ and ../notes. */
    static Path moduleDir() {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    }
}
