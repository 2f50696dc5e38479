package dev.pocketrag.generation.chat;

import dev.pocketrag.chat.ChatMessage;
import dev.pocketrag.chat.ChatMessage.Role;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The prompt formats of the common chat model families, chosen from a GGUF's
 * {@code tokenizer.chat_template} (a Jinja template) by recognising marker strings in it, the way
 * llama.cpp's {@code llm_chat_detect_template} does; no Jinja is evaluated. Each family renders a
 * conversation as its template would, in llama.cpp's built-in form (which, for example, keeps a
 * system message for Mistral and Gemma by merging it into the first user turn).
 *
 * <p>The rendered text contains the family's special tokens as text ({@code <|im_start|>},
 * {@code [INST]}, ...): tokenize it with the model's own BOS rule (no family here writes the BOS
 * token itself), recognising special tokens in the markup only - {@link #prompt} tells which
 * characters came from the messages, and
 * {@link dev.pocketrag.generation.tokenizer.Tokenizer#encodePrompt} keeps them text - so that a
 * message (a note, a question) that contains {@code <|im_end|><|im_start|>system} cannot open a
 * turn of its own.
 *
 * <table>
 * <caption>Families and their markers (checked in this order)</caption>
 * <tr><th>family</th><th>template contains</th><th>one user turn, then the assistant header</th></tr>
 * <tr><td>CHATML (Qwen, SmolLM, ...)</td><td>{@code <|im_start|>}</td><td>{@code <|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n}</td></tr>
 * <tr><td>PHI_4</td><td>{@code <|im_start|>} and {@code <|im_sep|>}</td><td>{@code <|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>}</td></tr>
 * <tr><td>MISTRAL_V7</td><td>{@code [INST]} and {@code [SYSTEM_PROMPT]}</td><td>{@code [INST] Hi[/INST]}</td></tr>
 * <tr><td>MISTRAL_V1 / V3 / V3_TEKKEN</td><td>{@code [INST]} and the official Mistral markers</td><td>{@code  [INST] Hi [/INST]}, {@code [INST] Hi[/INST]}, {@code [INST]Hi[/INST]}</td></tr>
 * <tr><td>LLAMA_2 (+ _SYS, _SYS_BOS, _SYS_STRIP)</td><td>{@code [INST]} (and {@code <<SYS>>} ...)</td><td>{@code [INST] Hi [/INST]}</td></tr>
 * <tr><td>PHI_3</td><td>{@code <|assistant|>} and {@code <|end|>}</td><td>{@code <|user|>\nHi<|end|>\n<|assistant|>\n}</td></tr>
 * <tr><td>FALCON_3</td><td>{@code <|assistant|>}, {@code <|user|>}, {@code </s>}</td><td>{@code <|user|>\nHi\n<|assistant|>\n}</td></tr>
 * <tr><td>ZEPHYR</td><td>{@code <|user|>} and {@code <|endoftext|>}</td><td>{@code <|user|>\nHi<|endoftext|>\n<|assistant|>\n}</td></tr>
 * <tr><td>GEMMA</td><td>{@code <start_of_turn>}</td><td>{@code <start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n}</td></tr>
 * <tr><td>LLAMA_3</td><td>{@code <|start_header_id|>} and {@code <|end_header_id|>}</td><td>{@code <|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n}</td></tr>
 * <tr><td>others</td><td colspan="2">MONARCH, ORION, OPENCHAT, VICUNA, VICUNA_ORCA, DEEPSEEK, DEEPSEEK_2, DEEPSEEK_3,
 *     COMMAND_R, CHATGLM_3, CHATGLM_4, GLMEDGE, MINICPM, EXAONE_3, GRANITE, MEGREZ, LLAMA_4, SMOLVLM (see {@link Family})</td></tr>
 * </table>
 * A template that matches none of them (or no template, e.g. stories260K) gets CHATML, with a warning.
 */
public final class ChatTemplate {

    /** The prompt format families (llama.cpp's names in {@link #llamaCppName()}). */
    public enum Family {
        CHATML("chatml"),
        LLAMA_2("llama2"),
        LLAMA_2_SYS("llama2-sys"),
        LLAMA_2_SYS_BOS("llama2-sys-bos"),
        LLAMA_2_SYS_STRIP("llama2-sys-strip"),
        MISTRAL_V1("mistral-v1"),
        MISTRAL_V3("mistral-v3"),
        MISTRAL_V3_TEKKEN("mistral-v3-tekken"),
        MISTRAL_V7("mistral-v7"),
        PHI_3("phi3"),
        PHI_4("phi4"),
        FALCON_3("falcon3"),
        ZEPHYR("zephyr"),
        MONARCH("monarch"),
        GEMMA("gemma"),
        ORION("orion"),
        OPENCHAT("openchat"),
        VICUNA("vicuna"),
        VICUNA_ORCA("vicuna-orca"),
        DEEPSEEK("deepseek"),
        DEEPSEEK_2("deepseek2"),
        DEEPSEEK_3("deepseek3"),
        COMMAND_R("command-r"),
        LLAMA_3("llama3"),
        CHATGLM_3("chatglm3"),
        CHATGLM_4("chatglm4"),
        GLMEDGE("glmedge"),
        MINICPM("minicpm"),
        EXAONE_3("exaone3"),
        GRANITE("granite"),
        MEGREZ("megrez"),
        LLAMA_4("llama4"),
        SMOLVLM("smolvlm");

        private final String llamaCppName;

        Family(String llamaCppName) {
            this.llamaCppName = llamaCppName;
        }

        /** The name llama.cpp uses for this format ({@code --chat-template NAME}). */
        public String llamaCppName() {
            return llamaCppName;
        }

        /** The family llama.cpp calls {@code name}, or empty. */
        public static Optional<Family> byLlamaCppName(String name) {
            for (Family f : values()) {
                if (f.llamaCppName.equals(name)) {
                    return Optional.of(f);
                }
            }
            return Optional.empty();
        }
    }

    private static final System.Logger LOG = System.getLogger(ChatTemplate.class.getName());

    private final Family family;
    private final boolean recognised;
    private final java.util.concurrent.atomic.AtomicBoolean warned = new java.util.concurrent.atomic.AtomicBoolean();

    private ChatTemplate(Family family, boolean recognised) {
        this.family = family;
        this.recognised = recognised;
    }

    /** The format of {@code family}. */
    public static ChatTemplate of(Family family) {
        return new ChatTemplate(Objects.requireNonNull(family, "family"), true);
    }

    /**
     * The format for a model's {@code tokenizer.chat_template} (or a llama.cpp format name such as
     * {@code "chatml"}); CHATML, not {@link #recognised()}, when {@code template} is null, empty or not
     * recognised (the first {@link #render} of such a fallback logs a warning).
     */
    public static ChatTemplate detect(String template) {
        Optional<Family> f = template == null ? Optional.empty() : recognise(template);
        if (f.isPresent()) {
            return new ChatTemplate(f.get(), true);
        }
        return new ChatTemplate(Family.CHATML, false);
    }

    /** The family {@code template} belongs to, by llama.cpp's markers, or empty. */
    public static Optional<Family> recognise(String template) {
        Optional<Family> byName = Family.byLlamaCppName(template);
        if (byName.isPresent()) {
            return byName;
        }
        String t = template;
        if (has(t, "<|im_start|>")) {
            if (has(t, "<|im_sep|>")) {
                return Optional.of(Family.PHI_4);
            }
            return Optional.of(has(t, "<end_of_utterance>") ? Family.SMOLVLM : Family.CHATML);
        }
        if (t.startsWith("mistral") || has(t, "[INST]")) {
            if (has(t, "[SYSTEM_PROMPT]")) {
                return Optional.of(Family.MISTRAL_V7);
            }
            if (has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]")) {
                if (has(t, " [INST]")) {
                    return Optional.of(Family.MISTRAL_V1);
                }
                if (has(t, "\"[INST]\"")) {
                    return Optional.of(Family.MISTRAL_V3_TEKKEN);
                }
                return Optional.of(Family.MISTRAL_V3);
            }
            if (has(t, "content.strip()")) {
                return Optional.of(Family.LLAMA_2_SYS_STRIP);
            }
            if (has(t, "bos_token + '[INST]")) {
                return Optional.of(Family.LLAMA_2_SYS_BOS);
            }
            return Optional.of(has(t, "<<SYS>>") ? Family.LLAMA_2_SYS : Family.LLAMA_2);
        }
        if (has(t, "<|assistant|>") && has(t, "<|end|>")) {
            return Optional.of(Family.PHI_3);
        }
        if (has(t, "[gMASK]<sop>")) {
            return Optional.of(Family.CHATGLM_4);
        }
        if (has(t, "<|assistant|>") && has(t, "<|user|>")) {
            return Optional.of(has(t, "</s>") ? Family.FALCON_3 : Family.GLMEDGE);
        }
        if (has(t, "<|{{ item['role'] }}|>") && has(t, "<|begin_of_image|>")) {
            return Optional.of(Family.GLMEDGE);
        }
        if (has(t, "<|user|>") && has(t, "<|endoftext|>")) {
            return Optional.of(Family.ZEPHYR);
        }
        if (has(t, "bos_token + message['role']")) {
            return Optional.of(Family.MONARCH);
        }
        if (has(t, "<start_of_turn>")) {
            return Optional.of(Family.GEMMA);
        }
        if (has(t, "'\\n\\nAssistant: ' + eos_token")) {
            return Optional.of(Family.ORION);
        }
        if (has(t, "GPT4 Correct ")) {
            return Optional.of(Family.OPENCHAT);
        }
        if (has(t, "USER: ") && has(t, "ASSISTANT: ")) {
            return Optional.of(has(t, "SYSTEM: ") ? Family.VICUNA_ORCA : Family.VICUNA);
        }
        if (has(t, "### Instruction:") && has(t, "<|EOT|>")) {
            return Optional.of(Family.DEEPSEEK);
        }
        if (has(t, "<|START_OF_TURN_TOKEN|>") && has(t, "<|USER_TOKEN|>")) {
            return Optional.of(Family.COMMAND_R);
        }
        if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>")) {
            return Optional.of(Family.LLAMA_3);
        }
        if (has(t, "[gMASK]sop")) {
            return Optional.of(Family.CHATGLM_3);
        }
        if (has(t, "<用户>")) {
            return Optional.of(Family.MINICPM);
        }
        if (has(t, "'Assistant: ' + message['content'] + eos_token")) {
            return Optional.of(Family.DEEPSEEK_2);
        }
        if (has(t, "<｜Assistant｜>") && has(t, "<｜User｜>") && has(t, "<｜end▁of▁sentence｜>")) {
            return Optional.of(Family.DEEPSEEK_3);
        }
        if (has(t, "[|system|]") && has(t, "[|assistant|]") && has(t, "[|endofturn|]") && !has(t, "[|tool|]")) {
            return Optional.of(Family.EXAONE_3);
        }
        if (has(t, "<|start_of_role|>")) {
            return Optional.of(Family.GRANITE);
        }
        if (has(t, "<|role_start|>")) {
            return Optional.of(Family.MEGREZ);
        }
        if (has(t, "<|header_start|>") && has(t, "<|header_end|>")) {
            return Optional.of(Family.LLAMA_4);
        }
        return Optional.empty();
    }

    private static boolean has(String s, String marker) {
        return s.contains(marker);
    }

    public Family family() {
        return family;
    }

    /** Whether the model's template was recognised (false: the chatml fallback). */
    public boolean recognised() {
        return recognised;
    }

    /**
     * Text that ends an assistant turn in this format when the model writes it out as plain text
     * (a generation stop string); empty for formats that end turns with the EOS token only.
     */
    public Optional<String> endOfTurn() {
        return switch (family) {
            case CHATML, PHI_4 -> Optional.of("<|im_end|>");
            case PHI_3 -> Optional.of("<|end|>");
            case ZEPHYR -> Optional.of("<|endoftext|>");
            case GEMMA -> Optional.of("<end_of_turn>");
            case LLAMA_3 -> Optional.of("<|eot_id|>");
            case LLAMA_4 -> Optional.of("<|eot|>");
            case COMMAND_R -> Optional.of("<|END_OF_TURN_TOKEN|>");
            case DEEPSEEK -> Optional.of("<|EOT|>");
            case OPENCHAT -> Optional.of("<|end_of_turn|>");
            case EXAONE_3 -> Optional.of("[|endofturn|]");
            case GRANITE -> Optional.of("<|end_of_text|>");
            case MEGREZ -> Optional.of("<|turn_end|>");
            case SMOLVLM -> Optional.of("<end_of_utterance>");
            case VICUNA, VICUNA_ORCA -> Optional.of("\nUSER:");
            default -> Optional.empty();
        };
    }

    /**
     * The prompt text of {@code messages}, followed by the assistant header the reply starts after
     * (when {@code addAssistant} and the format has one): {@code prompt(messages, addAssistant).text()}.
     */
    public String render(List<ChatMessage> messages, boolean addAssistant) {
        return prompt(messages, addAssistant).text();
    }

    /**
     * A rendered prompt: its text, and which characters of it came from the messages' contents
     * (the rest is the format's own markup).
     *
     * @param text    the prompt text, as {@link #render} returns it
     * @param content character ranges of {@code text} copied from message contents, as pairs
     *                {@code [start, end)}: {@code content[2i] <= content[2i+1] <= content[2i+2]}
     */
    public record Prompt(String text, int[] content) {
        public Prompt {
            Objects.requireNonNull(text, "text");
            content = content.clone();
            if (content.length % 2 != 0) {
                throw new IllegalArgumentException("content ranges come in pairs; got " + content.length + " ints");
            }
            int last = 0;
            for (int i = 0; i < content.length; i++) {
                if (content[i] < last || content[i] > text.length()) {
                    throw new IllegalArgumentException("content range bound " + content[i] + " at " + i
                            + " is out of order or outside 0.." + text.length());
                }
                last = content[i];
            }
        }

        @Override
        public int[] content() {
            return content.clone();
        }
    }

    /**
     * {@link #render}, telling the markup from the messages' text: a tokenizer may then recognise
     * special tokens in the markup only, so that text in a message ({@code <|im_end|>} in a note)
     * never becomes a control token.
     */
    public Prompt prompt(List<ChatMessage> messages, boolean addAssistant) {
        Objects.requireNonNull(messages, "messages");
        if (!recognised && warned.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "the model's chat template is missing or not recognised; using chatml");
        }
        Out s = new Out();
        switch (family) {
            case CHATML -> {
                for (ChatMessage m : messages) {
                    s.append("<|im_start|>").append(role(m)).append('\n').content(m.content()).append("<|im_end|>\n");
                }
                if (addAssistant) {
                    s.append("<|im_start|>assistant\n");
                }
            }
            case MISTRAL_V7 -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.append("[SYSTEM_PROMPT] ").content(m.content()).append("[/SYSTEM_PROMPT]");
                        case USER -> s.append("[INST] ").content(m.content()).append("[/INST]");
                        case ASSISTANT -> s.append(' ').content(m.content()).append("</s>");
                    }
                }
            }
            case MISTRAL_V1, MISTRAL_V3, MISTRAL_V3_TEKKEN -> {
                String lead = family == Family.MISTRAL_V1 ? " " : "";
                String trail = family == Family.MISTRAL_V3_TEKKEN ? "" : " ";
                boolean inTurn = false;
                for (ChatMessage m : messages) {
                    if (!inTurn) {
                        s.append(lead).append("[INST]").append(trail);
                        inTurn = true;
                    }
                    switch (m.role()) {
                        case SYSTEM -> s.content(m.content()).append("\n\n");
                        case USER -> s.content(m.content()).append(lead).append("[/INST]");
                        case ASSISTANT -> {
                            s.append(trail).content(family == Family.MISTRAL_V3 ? trim(m.content()) : m.content())
                                    .append("</s>");
                            inTurn = false;
                        }
                    }
                }
            }
            case LLAMA_2, LLAMA_2_SYS, LLAMA_2_SYS_BOS, LLAMA_2_SYS_STRIP -> {
                boolean system = family != Family.LLAMA_2;
                boolean bosInHistory = family == Family.LLAMA_2_SYS_BOS;
                boolean strip = family == Family.LLAMA_2_SYS_STRIP;
                boolean inTurn = true;
                s.append("[INST] ");
                for (ChatMessage m : messages) {
                    String content = strip ? trim(m.content()) : m.content();
                    if (!inTurn) {
                        inTurn = true;
                        s.append(bosInHistory ? "<s>[INST] " : "[INST] ");
                    }
                    switch (m.role()) {
                        case SYSTEM -> {
                            if (system) {
                                s.append("<<SYS>>\n").content(content).append("\n<</SYS>>\n\n");
                            } else {
                                s.content(content).append('\n');
                            }
                        }
                        case USER -> s.content(content).append(" [/INST]");
                        case ASSISTANT -> {
                            s.content(content).append("</s>");
                            inTurn = false;
                        }
                    }
                }
            }
            case PHI_3 -> {
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n").content(m.content()).append("<|end|>\n");
                }
                if (addAssistant) {
                    s.append("<|assistant|>\n");
                }
            }
            case PHI_4 -> {
                for (ChatMessage m : messages) {
                    s.append("<|im_start|>").append(role(m)).append("<|im_sep|>").content(m.content()).append("<|im_end|>");
                }
                if (addAssistant) {
                    s.append("<|im_start|>assistant<|im_sep|>");
                }
            }
            case FALCON_3 -> {
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n").content(m.content()).append('\n');
                }
                if (addAssistant) {
                    s.append("<|assistant|>\n");
                }
            }
            case ZEPHYR -> {
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n").content(m.content()).append("<|endoftext|>\n");
                }
                if (addAssistant) {
                    s.append("<|assistant|>\n");
                }
            }
            case MONARCH -> {
                for (int i = 0; i < messages.size(); i++) {
                    ChatMessage m = messages.get(i);
                    s.append(i == 0 ? "" : "<s>").append(role(m)).append('\n').content(m.content()).append("</s>\n");
                }
                if (addAssistant) {
                    s.append("<s>assistant\n");
                }
            }
            case GEMMA -> {
                StringBuilder system = new StringBuilder();
                for (ChatMessage m : messages) {
                    if (m.role() == Role.SYSTEM) {
                        system.append(trim(m.content()));
                        continue;
                    }
                    String role = m.role() == Role.ASSISTANT ? "model" : role(m);
                    s.append("<start_of_turn>").append(role).append('\n');
                    if (!system.isEmpty() && m.role() != Role.ASSISTANT) {
                        s.content(system.toString()).append("\n\n");
                        system.setLength(0);
                    }
                    s.content(trim(m.content())).append("<end_of_turn>\n");
                }
                if (addAssistant) {
                    s.append("<start_of_turn>model\n");
                }
            }
            case ORION -> {
                StringBuilder system = new StringBuilder();
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> system.append(m.content());
                        case USER -> {
                            s.append("Human: ");
                            if (!system.isEmpty()) {
                                s.content(system.toString()).append("\n\n");
                                system.setLength(0);
                            }
                            s.content(m.content()).append("\n\nAssistant: </s>");
                        }
                        case ASSISTANT -> s.content(m.content()).append("</s>");
                    }
                }
            }
            case OPENCHAT -> {
                for (ChatMessage m : messages) {
                    if (m.role() == Role.SYSTEM) {
                        s.content(m.content()).append("<|end_of_turn|>");
                    } else {
                        String r = role(m);
                        s.append("GPT4 Correct ").append(Character.toUpperCase(r.charAt(0))).append(r.substring(1))
                                .append(": ").content(m.content()).append("<|end_of_turn|>");
                    }
                }
                if (addAssistant) {
                    s.append("GPT4 Correct Assistant:");
                }
            }
            case VICUNA, VICUNA_ORCA -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> {
                            if (family == Family.VICUNA_ORCA) {
                                s.append("SYSTEM: ").content(m.content()).append('\n');
                            } else {
                                s.content(m.content()).append("\n\n");
                            }
                        }
                        case USER -> s.append("USER: ").content(m.content()).append('\n');
                        case ASSISTANT -> s.append("ASSISTANT: ").content(m.content()).append("</s>\n");
                    }
                }
                if (addAssistant) {
                    s.append("ASSISTANT:");
                }
            }
            case DEEPSEEK -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.content(m.content());
                        case USER -> s.append("### Instruction:\n").content(m.content()).append('\n');
                        case ASSISTANT -> s.append("### Response:\n").content(m.content()).append("\n<|EOT|>\n");
                    }
                }
                if (addAssistant) {
                    s.append("### Response:\n");
                }
            }
            case COMMAND_R -> {
                for (ChatMessage m : messages) {
                    String token = switch (m.role()) {
                        case SYSTEM -> "<|SYSTEM_TOKEN|>";
                        case USER -> "<|USER_TOKEN|>";
                        case ASSISTANT -> "<|CHATBOT_TOKEN|>";
                    };
                    s.append("<|START_OF_TURN_TOKEN|>").append(token).content(trim(m.content())).append("<|END_OF_TURN_TOKEN|>");
                }
                if (addAssistant) {
                    s.append("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
                }
            }
            case LLAMA_3 -> {
                for (ChatMessage m : messages) {
                    s.append("<|start_header_id|>").append(role(m)).append("<|end_header_id|>\n\n")
                            .content(trim(m.content())).append("<|eot_id|>");
                }
                if (addAssistant) {
                    s.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
            }
            case CHATGLM_3 -> {
                s.append("[gMASK]sop");
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n ").content(m.content());
                }
                if (addAssistant) {
                    s.append("<|assistant|>");
                }
            }
            case CHATGLM_4 -> {
                s.append("[gMASK]<sop>");
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n").content(m.content());
                }
                if (addAssistant) {
                    s.append("<|assistant|>\n");
                }
            }
            case GLMEDGE -> {
                for (ChatMessage m : messages) {
                    s.append("<|").append(role(m)).append("|>\n").content(m.content());
                }
                if (addAssistant) {
                    s.append("<|assistant|>");
                }
            }
            case MINICPM -> {
                for (ChatMessage m : messages) {
                    if (m.role() == Role.USER) {
                        s.append("<用户>").content(trim(m.content())).append("<AI>");
                    } else {
                        s.content(trim(m.content()));
                    }
                }
            }
            case DEEPSEEK_2 -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.content(m.content()).append("\n\n");
                        case USER -> s.append("User: ").content(m.content()).append("\n\n");
                        case ASSISTANT -> s.append("Assistant: ").content(m.content()).append("<｜end▁of▁sentence｜>");
                    }
                }
                if (addAssistant) {
                    s.append("Assistant:");
                }
            }
            case DEEPSEEK_3 -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.content(m.content()).append("\n\n");
                        case USER -> s.append("<｜User｜>").content(m.content());
                        case ASSISTANT -> s.append("<｜Assistant｜>").content(m.content()).append("<｜end▁of▁sentence｜>");
                    }
                }
                if (addAssistant) {
                    s.append("<｜Assistant｜>");
                }
            }
            case EXAONE_3 -> {
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.append("[|system|]").content(trim(m.content())).append("[|endofturn|]\n");
                        case USER -> s.append("[|user|]").content(trim(m.content())).append('\n');
                        case ASSISTANT -> s.append("[|assistant|]").content(trim(m.content())).append("[|endofturn|]\n");
                    }
                }
                if (addAssistant) {
                    s.append("[|assistant|]");
                }
            }
            case GRANITE -> {
                for (ChatMessage m : messages) {
                    s.append("<|start_of_role|>").append(role(m)).append("<|end_of_role|>").content(m.content())
                            .append("<|end_of_text|>\n");
                }
                if (addAssistant) {
                    s.append("<|start_of_role|>assistant<|end_of_role|>");
                }
            }
            case MEGREZ -> {
                for (ChatMessage m : messages) {
                    s.append("<|role_start|>").append(role(m)).append("<|role_end|>").content(m.content()).append("<|turn_end|>");
                }
                if (addAssistant) {
                    s.append("<|role_start|>assistant<|role_end|>");
                }
            }
            case LLAMA_4 -> {
                for (ChatMessage m : messages) {
                    s.append("<|header_start|>").append(role(m)).append("<|header_end|>\n\n").content(trim(m.content()))
                            .append("<|eot|>");
                }
                if (addAssistant) {
                    s.append("<|header_start|>assistant<|header_end|>\n\n");
                }
            }
            case SMOLVLM -> {
                s.append("<|im_start|>");
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case SYSTEM -> s.content(m.content()).append("\n\n");
                        case USER -> s.append("User: ").content(m.content()).append("<end_of_utterance>\n");
                        case ASSISTANT -> s.append("Assistant: ").content(m.content()).append("<end_of_utterance>\n");
                    }
                }
                if (addAssistant) {
                    s.append("Assistant:");
                }
            }
        }
        return s.prompt();
    }

    /** The prompt being written: markup appended as is, message text with its range recorded. */
    private static final class Out {
        private final StringBuilder text = new StringBuilder();
        private int[] spans = new int[16];
        private int n;

        Out append(String markup) {
            text.append(markup);
            return this;
        }

        Out append(char markup) {
            text.append(markup);
            return this;
        }

        Out content(String s) {
            if (s.isEmpty()) {
                return this;
            }
            int start = text.length();
            text.append(s);
            if (n > 0 && spans[n - 1] == start) {
                spans[n - 1] = text.length(); // adjacent contents: one range
                return this;
            }
            if (n + 2 > spans.length) {
                spans = java.util.Arrays.copyOf(spans, spans.length * 2);
            }
            spans[n++] = start;
            spans[n++] = text.length();
            return this;
        }

        Prompt prompt() {
            return new Prompt(text.toString(), java.util.Arrays.copyOf(spans, n));
        }
    }

    private static String role(ChatMessage m) {
        return m.role().wireName();
    }

    /** C's isspace trim (ASCII whitespace only), as llama.cpp trims. */
    static String trim(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    @Override
    public String toString() {
        return family.llamaCppName() + (recognised ? "" : " (fallback)");
    }
}
