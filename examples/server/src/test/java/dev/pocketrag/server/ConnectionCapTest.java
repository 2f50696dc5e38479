package dev.pocketrag.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server whose process may open few files (a child JVM under {@code ulimit -n 200}) facing far
 * more idle connections than that: the extra ones are closed at once (they used to wait
 * unanswered while the JDK server's dispatcher spun at 100% CPU on "too many open files"), the
 * server stays idle, and serves normal requests again as soon as the idle ones go away.
 */
class ConnectionCapTest {
    static final int FD_LIMIT = 200;
    static final int IDLE = 250;

    @TempDir
    Path dir;

    /** User plus system CPU time of a process in clock ticks (1/100 s on Linux), from /proc. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }

    @Test
    void extra_connections_are_closed_at_once_without_spinning_and_normal_requests_come_back() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/stat")) && Files.isExecutable(Path.of("/bin/bash")),
                "needs Linux's /proc and bash's ulimit: skipping");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "ulimit -n " + FD_LIMIT + " && exec '" + java + "' -cp '" + System.getProperty("java.class.path")
                + "' -Xshare:auto -XX:TieredStopAtLevel=1 -Xmx256m --enable-native-access=ALL-UNNAMED " + ConnectionCapChild.class.getName() + " '"
                + dir.resolve("nb") + "'";
        Process p = new ProcessBuilder("/bin/bash", "-c", cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> sockets = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = Integer.parseInt(out.readLine().substring("port ".length()));
            int cap = Integer.parseInt(out.readLine().substring("cap ".length()));
            System.out.printf("child under ulimit -n %d: connection cap %d%n", FD_LIMIT, cap);
            assertTrue(cap >= 8 && cap < FD_LIMIT - 64, "the cap leaves room below the limit: " + cap);
            URI base = URI.create("http://127.0.0.1:" + port + "/");
            assertEquals(200, TestSupport.get(base, "/v1/notes").statusCode());

            for (int i = 0; i < IDLE; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                sockets.add(s);
            }
            Thread.sleep(1000);
            long cpu0 = cpuTicks(p.pid());
            int closed = 0;
            for (Socket s : sockets) {
                s.setSoTimeout(50);
                try {
                    if (s.getInputStream().read() < 0) {
                        closed++;
                    }
                } catch (SocketTimeoutException e) {
                    // held open by the server, idle
                } catch (IOException e) {
                    closed++; // reset
                }
            }
            System.out.printf("%d idle connections: %d closed by the server at once%n", IDLE, closed);
            assertTrue(closed >= IDLE - cap - 2, "the connections beyond the cap were answered (closed): " + closed);
            Thread.sleep(2000);
            long cpu = cpuTicks(p.pid()) - cpu0;
            System.out.printf("server CPU while %d connections were held: %d ticks in about 3 s%n", IDLE - closed, cpu);
            assertTrue(cpu < 150, "the server does not spin: " + cpu + " ticks of CPU (a spinning dispatcher uses ~300)");

            for (Socket s : sockets) {
                s.close();
            }
            sockets.clear();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            HttpResponse<String> r = null;
            while (System.nanoTime() < deadline) {
                try {
                    r = TestSupport.get(base, "/v1/notes");
                    break;
                } catch (IOException e) {
                    Thread.sleep(200); // the server has not seen the closes yet
                }
            }
            assertTrue(r != null && r.statusCode() == 200, "normal requests are served again: " + r);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
            p.getOutputStream().close();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }
}
