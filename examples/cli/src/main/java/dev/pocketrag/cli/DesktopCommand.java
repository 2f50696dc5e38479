package dev.pocketrag.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Opens the desktop app (examples/desktop). The CLI does not depend on that module: the launcher
 * puts its jar on the class path for {@code desktop} only, and this command calls
 * {@code dev.pocketrag.desktop.DesktopApp.launch(Path, Path, int)} by name. It returns when the
 * window is closed.
 */
@Command(name = "desktop", mixinStandardHelpOptions = true,
        description = {"Open the desktop app (search as you type, note editor, cited answers).",
                "Uses the same notebook and config file as the CLI."})
final class DesktopCommand implements Callable<Integer> {
    static final String APP_CLASS = "dev.pocketrag.desktop.DesktopApp";

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Notebook directory (default: $POCKETRAG_DIR, dir= in the config file, "
                    + "$XDG_DATA_HOME/pocketrag or ~/.local/share/pocketrag).")
    Path dir;

    @Option(names = "--model", paramLabel = "FILE.gguf",
            description = "Chat model (default: $POCKETRAG_MODEL or model= in the config file; none: extractive answers).")
    Path model;

    @Option(names = "--ctx", paramLabel = "N", description = "Context window in tokens (default: ctx= in the config file, else min(model's, 4096)).")
    Integer ctx;

    @Override
    public Integer call() throws Exception {
        if (ctx != null && ctx < 1) {
            throw new UserException("--ctx " + ctx + " must be at least 1");
        }
        Method launch;
        try {
            launch = Class.forName(APP_CLASS).getMethod("launch", Path.class, Path.class, int.class);
        } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
            throw new UserException("the desktop app is not on the class path (" + e.getMessage()
                    + "); start it with ./pocketrag desktop, which builds examples/desktop");
        }
        try {
            return (Integer) launch.invoke(null, dir, model, ctx == null ? 0 : ctx);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception ex) {
                throw ex;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
