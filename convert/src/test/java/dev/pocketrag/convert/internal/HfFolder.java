package dev.pocketrag.convert.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes the files of a Hugging Face model folder for tests: JSON files and a SentencePiece protobuf. */
final class HfFolder {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private HfFolder() {}

    /** {@code ../shared} (system property {@code pocketrag.shared}); skips the test when it is absent. */
    static Path shared() {
        String s = System.getProperty("pocketrag.shared");
        assumeTrue(s != null && Files.isDirectory(Path.of(s)),
                "pocketrag.shared is not set or not a directory: skipping tests on the shared vocabularies");
        return Path.of(s);
    }

    static void json(Path file, JsonElement e) throws IOException {
        Files.writeString(file, GSON.toJson(e), StandardCharsets.UTF_8);
    }

    static JsonObject obj(Object... kv) {
        JsonObject o = new JsonObject();
        for (int i = 0; i < kv.length; i += 2) {
            o.add((String) kv[i], GSON.toJsonTree(kv[i + 1]));
        }
        return o;
    }

    static JsonObject added(int id, String content, boolean special) {
        JsonObject o = obj("id", id, "content", content, "single_word", false, "lstrip", false, "rstrip", false,
                "normalized", false);
        o.addProperty("special", special);
        return o;
    }

    static JsonArray array(JsonElement... elements) {
        JsonArray a = new JsonArray();
        for (JsonElement e : elements) {
            a.add(e);
        }
        return a;
    }

    /** One SentencePiece entry: text, score, type 1..6. */
    record Piece(String piece, float score, int type) {}

    /**
     * A {@code ModelProto}: the pieces (field 1), a trainer spec (field 2: model_type 1 = unigram,
     * vocab_size, byte_fallback) and a normalizer spec (field 3: name, add_dummy_prefix).
     */
    static byte[] spmModel(List<Piece> pieces) {
        Proto m = new Proto();
        for (Piece p : pieces) {
            Proto sp = new Proto();
            sp.bytes(1, p.piece().getBytes(StandardCharsets.UTF_8));
            sp.fixed32(2, Float.floatToRawIntBits(p.score()));
            if (p.type() != 1) {
                sp.varint(3, p.type());
            }
            m.bytes(1, sp.toByteArray());
        }
        Proto trainer = new Proto();
        trainer.bytes(1, "spm.txt".getBytes(StandardCharsets.UTF_8)); // input (skipped by the reader)
        trainer.varint(3, 2);
        trainer.varint(4, pieces.size());
        trainer.varint(35, 1);
        m.bytes(2, trainer.toByteArray());
        Proto normalizer = new Proto();
        normalizer.bytes(1, "identity".getBytes(StandardCharsets.UTF_8));
        normalizer.varint(3, 1);
        m.bytes(3, normalizer.toByteArray());
        return m.toByteArray();
    }

    /** A protobuf message being written. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Proto key(int field, int wire) {
            return rawVarint(((long) field << 3) | wire);
        }

        Proto varint(int field, long v) {
            return key(field, 0).rawVarint(v);
        }

        Proto fixed32(int field, int v) {
            key(field, 5);
            for (int i = 0; i < 4; i++) {
                out.write(v >>> (8 * i));
            }
            return this;
        }

        Proto bytes(int field, byte[] b) {
            key(field, 2).rawVarint(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto raw(byte... b) {
            out.writeBytes(b);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
