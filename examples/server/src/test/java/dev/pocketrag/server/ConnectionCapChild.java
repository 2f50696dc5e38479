package dev.pocketrag.server;

import dev.pocketrag.retrieval.Notebook;
import java.nio.file.Path;

/**
 * A server in a child JVM (started under a small file-descriptor limit by {@link ConnectionCapTest}):
 * prints {@code port N} and {@code cap C}, then serves until its stdin closes.
 */
public final class ConnectionCapChild {
    private ConnectionCapChild() {}

    public static void main(String[] args) throws Exception {
        try (Notebook nb = Notebook.open(Path.of(args[0]));
             PocketragServer server = PocketragServer.builder(nb).port(0).start()) {
            System.out.println("port " + server.port());
            System.out.println("cap " + Connections.configure());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the parent closes our stdin
            }
        }
    }
}
