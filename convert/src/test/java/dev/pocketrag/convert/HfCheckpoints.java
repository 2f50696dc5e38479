package dev.pocketrag.convert;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes Hugging Face model folders for tests: {@code config.json} and {@code model.safetensors}
 * (or shards with {@code model.safetensors.index.json}), byte for byte as the safetensors format
 * specifies (written here from the format description, not with our reader's code).
 */
final class HfCheckpoints {
    private HfCheckpoints() {}

    /** A tensor: torch shape and row-major values. */
    record T(long[] shape, float[] values) {
        static T random(Random r, double std, long... shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * std);
            }
            return new T(shape, v);
        }

        /** Element {@code (row, col)} of a 2-D tensor. */
        float at(int row, int col) {
            return values[row * (int) shape[1] + col];
        }
    }

    /** The bytes of a safetensors file holding {@code tensors} as {@code dtype} (F32, F16 or BF16). */
    static byte[] safetensors(Map<String, T> tensors, String dtype) {
        int size = dtype.equals("F32") ? 4 : 2;
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        for (var e : tensors.entrySet()) {
            long bytes = (long) e.getValue().values.length * size;
            h.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":")
                    .append(shapeJson(e.getValue().shape)).append(",\"data_offsets\":[").append(off).append(',')
                    .append(off + bytes).append("]}");
            off += bytes;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' '); // the reference writer pads the header to 8 bytes
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) (8 + header.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (T t : tensors.values()) {
            for (float f : t.values) {
                switch (dtype) {
                    case "F32" -> b.putFloat(f);
                    case "F16" -> b.putShort(Float.floatToFloat16(f));
                    case "BF16" -> b.putShort((short) (Float.floatToRawIntBits(f) >>> 16)); // values are bf16-exact
                    default -> throw new IllegalArgumentException(dtype);
                }
            }
        }
        return b.array();
    }

    static String shapeJson(long[] shape) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? "," : "").append(shape[i]);
        }
        return s.append(']').toString();
    }

    /**
     * Writes {@code config} and {@code tensors} to {@code dir} in {@code shards} files (1: a single
     * {@code model.safetensors}; more: {@code model-0000i-of-0000n.safetensors} and the index).
     */
    static void write(Path dir, JsonObject config, LinkedHashMap<String, T> tensors, int shards, String dtype) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), new Gson().toJson(config));
            if (shards == 1) {
                Files.write(dir.resolve("model.safetensors"), safetensors(tensors, dtype));
                return;
            }
            List<String> names = new ArrayList<>(tensors.keySet());
            JsonObject weightMap = new JsonObject();
            int per = (names.size() + shards - 1) / shards;
            for (int s = 0; s < shards; s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                LinkedHashMap<String, T> part = new LinkedHashMap<>();
                for (String n : names.subList(Math.min(names.size(), s * per), Math.min(names.size(), (s + 1) * per))) {
                    part.put(n, tensors.get(n));
                    weightMap.addProperty(n, file);
                }
                Files.write(dir.resolve(file), safetensors(part, dtype));
            }
            JsonObject index = new JsonObject();
            index.add("metadata", new JsonObject());
            index.add("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), new Gson().toJson(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
