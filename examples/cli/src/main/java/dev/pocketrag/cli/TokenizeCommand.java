package dev.pocketrag.cli;

import dev.pocketrag.generation.GgufTokenizer;
import dev.pocketrag.generation.Tokenizers;
import dev.pocketrag.generation.gguf.UnsupportedTokenizerException;
import dev.pocketrag.server.Json;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Token ids of TEXT with the tokenizer of a GGUF model.",
                "The same ids as llama.cpp's llama_tokenize.",
                "Prints the ids on one line, separated by spaces; with --pieces, a second line with each "
                        + "token's text as a JSON string (\" Hello\", \"<|im_end|>\")."})
final class TokenizeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf",
            description = "The model file whose tokenizer.ggml.* vocabulary to use.")
    Path model;

    @Option(names = "--no-bos", description = "Leave out the BOS token the model would add (and an EOS it would append), "
            + "as llama.cpp's .out test files do.")
    boolean noBos;

    @Option(names = "--pieces", description = "Also print the token strings, one JSON string per token.")
    boolean pieces;

    @Option(names = "--parse-special",
            description = "Recognise control tokens written in TEXT (e.g. <|im_start|>); by default they stay text.")
    boolean parseSpecial;

    @Parameters(arity = "1..*", paramLabel = "TEXT",
            description = "The text (several arguments are joined with single spaces; use -- before text starting with -).")
    List<String> text;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString());
        }
        if (!Files.isRegularFile(model)) {
            throw new UserException(model + " is not a file");
        }
        GgufTokenizer tok;
        try {
            tok = Tokenizers.open(model);
        } catch (UnsupportedTokenizerException e) {
            throw new UserException(model.getFileName() + ": " + e.getMessage());
        }
        int[] ids = tok.encode(String.join(" ", text), !noBos, parseSpecial);
        PrintWriter out = spec.commandLine().getOut();
        StringJoiner line = new StringJoiner(" ");
        for (int id : ids) {
            line.add(Integer.toString(id));
        }
        out.println(line);
        if (pieces) {
            StringJoiner p = new StringJoiner(" ");
            for (int id : ids) {
                p.add(Json.of(tok.piece(id)));
            }
            out.println(p);
        }
        out.flush();
        return 0;
    }
}
