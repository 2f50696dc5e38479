package dev.pocketrag.convert.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.pocketrag.convert.ConvertException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors weights of a Hugging Face model folder: {@code model.safetensors}, or the shards
 * named by {@code model.safetensors.index.json}. The index looks like
 * <pre>
 * {"metadata": {...}, "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors", ...}}
 * </pre>
 * Every shard it names must exist in the folder (a plain file name, no directories) and hold exactly
 * the tensors the index assigns to it: a tensor missing from its shard, or present in a shard the
 * index does not name for it, is an error naming the tensor and the shard. Shards are mapped, not
 * read. {@link #close()} unmaps them all; idempotent.
 */
public final class Checkpoint implements AutoCloseable {
    /** The index file of a sharded checkpoint. */
    public static final String INDEX = "model.safetensors.index.json";
    /** The single-file checkpoint. */
    public static final String SINGLE = "model.safetensors";
    /** At most this many bytes of index JSON are read. */
    static final long MAX_INDEX_BYTES = 64L << 20;

    /** Where a tensor is. */
    public record Entry(SafetensorsFile file, SafetensorsFile.Tensor tensor) {}

    private final List<SafetensorsFile> files;
    private final Map<String, Entry> entries;

    private Checkpoint(List<SafetensorsFile> files, Map<String, Entry> entries) {
        this.files = files;
        this.entries = entries;
    }

    /**
     * Opens the weights of {@code dir}.
     *
     * @throws ConvertException if there are none, or a file is malformed or disagrees with the index
     */
    public static Checkpoint open(Path dir) throws ConvertException {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve(SINGLE);
        List<SafetensorsFile> opened = new ArrayList<>();
        boolean ok = false;
        try {
            Map<String, Entry> entries = new LinkedHashMap<>();
            if (Files.isRegularFile(index)) {
                Map<String, String> weightMap = readWeightMap(index);
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (String shard : new java.util.LinkedHashSet<>(weightMap.values())) {
                    if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..")
                            || shard.equals(".")) {
                        throw new ConvertException(index + ": shard name '" + shard
                                + "' must be a file name in the model folder");
                    }
                    Path p = dir.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new ConvertException(index + ": shard '" + shard + "' is missing from " + dir);
                    }
                    SafetensorsFile f = SafetensorsFile.open(p);
                    opened.add(f);
                    shards.put(shard, f);
                }
                for (var e : weightMap.entrySet()) {
                    SafetensorsFile f = shards.get(e.getValue());
                    SafetensorsFile.Tensor t = f.tensor(e.getKey());
                    if (t == null) {
                        throw new ConvertException(index + ": tensor '" + e.getKey() + "' is not in shard '"
                                + e.getValue() + "' where the index puts it");
                    }
                    entries.put(e.getKey(), new Entry(f, t));
                }
                for (var s : shards.entrySet()) {
                    for (String name : s.getValue().tensors().keySet()) {
                        String where = weightMap.get(name);
                        if (!s.getKey().equals(where)) {
                            throw new ConvertException(index + ": tensor '" + name + "' is in shard '" + s.getKey()
                                    + "', but the index puts it in " + (where == null ? "no shard" : "'" + where + "'"));
                        }
                    }
                }
            } else if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                opened.add(f);
                for (SafetensorsFile.Tensor t : f.tensors().values()) {
                    entries.put(t.name(), new Entry(f, t));
                }
            } else {
                throw new ConvertException(dir + ": no " + SINGLE + " or " + INDEX
                        + " (only safetensors checkpoints are converted; PyTorch .bin files are not)");
            }
            ok = true;
            return new Checkpoint(List.copyOf(opened), Collections.unmodifiableMap(entries));
        } finally {
            if (!ok) {
                opened.forEach(SafetensorsFile::close);
            }
        }
    }

    private static Map<String, String> readWeightMap(Path index) throws ConvertException {
        JsonElement root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES) {
                throw new ConvertException(index + ": " + Files.size(index) + " bytes, more than the "
                        + MAX_INDEX_BYTES + " an index may have");
            }
            root = JsonParser.parseString(Files.readString(index));
        } catch (ConvertException e) {
            throw e;
        } catch (IOException | JsonParseException e) {
            throw new ConvertException(index + ": cannot read the index: " + e.getMessage(), e);
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("weight_map")
                || !root.getAsJsonObject().get("weight_map").isJsonObject()) {
            throw new ConvertException(index + ": no \"weight_map\" object");
        }
        JsonObject wm = root.getAsJsonObject().getAsJsonObject("weight_map");
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : wm.entrySet()) {
            if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
                throw new ConvertException(index + ": weight_map '" + e.getKey() + "' must name a shard file, is "
                        + e.getValue());
            }
            out.put(e.getKey(), e.getValue().getAsString());
        }
        if (out.isEmpty()) {
            throw new ConvertException(index + ": weight_map is empty");
        }
        return out;
    }

    /** Every tensor, by name (index order, or header order of a single file). */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The tensor named {@code name}, or null. */
    public Entry get(String name) {
        return entries.get(name);
    }

    /** The values of {@code name} as floats (one tensor on the heap). */
    public float[] readFloats(String name) throws ConvertException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ConvertException("tensor '" + name + "' is not in the checkpoint");
        }
        return e.file().readFloats(e.tensor());
    }

    /** Unmaps every file; idempotent. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
