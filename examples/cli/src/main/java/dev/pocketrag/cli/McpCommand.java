package dev.pocketrag.cli;

import dev.pocketrag.chat.ChatModel;
import dev.pocketrag.embedder.Embedder;
import dev.pocketrag.retrieval.Notebook;
import dev.pocketrag.retrieval.Settings;
import dev.pocketrag.server.PocketragMcp;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = {"Serve the notebook to an MCP client (Claude Desktop, an IDE, an agent) over stdio.",
                "Speaks the Model Context Protocol on stdin/stdout until stdin closes; logs go to stderr. Tools:"
                        + " search_notes, ask_notes, add_note (not with --read-only), get_note, list_notes; the notes"
                        + " as resources note://ID. The notebook is read without its lock and written only while"
                        + " add_note adds a note, so serve, the desktop app and other commands work meanwhile."})
final class McpCommand implements Callable<Integer> {
    @Mixin
    NotebookOptions notebook;

    @Mixin
    EmbedderOption embedder;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--read-only", description = "Offer no add_note tool: the client can only search, ask and read.")
    boolean readOnly;

    @Override
    public Integer call() throws Exception {
        // stdout carries the protocol alone: anything else printed (a library's message) goes to stderr
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        Settings config = Settings.load();
        Path dir = notebook.directory(config);
        ChatModel model = modelOptions.load(config, dir.resolve(ChatModels.PROMPT_CACHE));
        try (ChatModel m = model;
             Embedder e = notebook.builder(config).embedder(embedder.resolve(config)).loadEmbedderInBackground()
                     .resolveEmbedder()) {
            System.err.println("pocketrag mcp: notebook " + notebook.where(config) + "; " + (m == null ? "no chat model: extractive answers"
                    : "model " + m.name()) + (readOnly ? "; read-only" : ""));
            PocketragMcp.serveStdio(dir, notebook.indexUrl(config), e, m, readOnly, new FileInputStream(FileDescriptor.in), protocol);
        }
        return 0;
    }
}
