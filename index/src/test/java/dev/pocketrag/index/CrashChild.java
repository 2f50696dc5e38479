package dev.pocketrag.index;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Child-process main for {@link CrashTest}: {@code DIR RUN SEED} opens the index and applies
 * batches of puts and deletes until it is killed. Before writing batch b it prints
 * {@code P b op op ... END} (op: {@code +id:version} or {@code -id}); after {@code commit()}
 * returns it prints {@code C b END}. Note contents are a pure function of (id, version), see
 * {@link #note} and {@link #chunked}, so the parent can check every chunk.
 */
public final class CrashChild {
    private CrashChild() {}

    static final int IDS = 300;
    static final int DIM = 8;

    static IndexOptions options() {
        return IndexOptions.of("crash-model", DIM).withHnsw(8, 20);
    }

    static Note note(String id, long version) {
        Random r = new Random(id.hashCode() * 31L + version);
        String body = TestSupport.words(r, 5 + r.nextInt(250));
        Instant t = Instant.ofEpochMilli(1_700_000_000_000L + version);
        return new Note(id, id + " v" + version, body, List.of("v" + (version % 3)), "", t, t);
    }

    static ChunkedNote chunked(Note n) {
        List<Chunk> chunks = TestSupport.split(n, 32, 3);
        List<float[]> vs = new ArrayList<>();
        Random r = new Random(n.title().hashCode());
        for (int i = 0; i < chunks.size(); i++) {
            vs.add(TestSupport.randomUnit(r, DIM));
        }
        return new ChunkedNote(n, chunks, vs);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long run = Long.parseLong(args[1]);
        Random rnd = new Random(Long.parseLong(args[2]));
        try (NoteIndex index = NoteIndex.open(dir, options())) {
            System.out.println("READY");
            System.out.flush();
            long version = run * 1_000_000;
            for (int b = 0; ; b++) {
                StringBuilder line = new StringBuilder("P ").append(b);
                List<Runnable> ops = new ArrayList<>();
                int n = 1 + rnd.nextInt(5);
                List<ChunkedNote> puts = new ArrayList<>();
                List<String> deletes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String id = "n" + rnd.nextInt(IDS);
                    if (rnd.nextInt(6) == 0) {
                        deletes.add(id);
                        line.append(" -").append(id);
                    } else {
                        long v = ++version;
                        puts.add(chunked(note(id, v)));
                        line.append(" +").append(id).append(':').append(v);
                    }
                }
                System.out.println(line.append(" END"));
                System.out.flush();
                // order matters when an id is both put and deleted: apply in the printed order
                int p = 0;
                int d = 0;
                for (String tok : line.toString().split(" ")) {
                    if (tok.startsWith("+")) {
                        if (rnd.nextBoolean()) {
                            index.put(puts.get(p++));
                        } else {
                            index.putAll(List.of(puts.get(p++)));
                        }
                    } else if (tok.startsWith("-")) {
                        index.delete(deletes.get(d++));
                    }
                }
                index.commit();
                System.out.println("C " + b + " END");
                System.out.flush();
            }
        }
    }
}
