package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mmfuse serve} as its own process: it starts, reloads on SIGHUP, and stops gracefully on SIGTERM. */
class ServeCommandTest {
  @TempDir static Path dir;

  @BeforeAll
  static void train() throws Exception {
    Bundles.train();
  }

  static String version(int port) throws Exception {
    JsonObject o = Clients.get(port, "/v1/models/emoji").json();
    return o.get("version").getAsString();
  }

  @Test
  void servesReloadsOnHangupAndStopsOnTerm() throws Exception {
    Path served = dir.resolve("emoji");
    LoadTest.copy(Bundles.a, served);
    Path ports = dir.resolve("ports.json");
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "io.mmfuse.examples.cli.Main", "serve", "--model",
        "emoji=" + served, "--port", "0", "--http-port", "0", "--port-file", ports.toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(ports) && p.isAlive() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertTrue(Files.exists(ports), "no port file; standard error: " + Files.readString(err));
      JsonObject o = JsonParser.parseString(Files.readString(ports)).getAsJsonObject();
      int http = o.get("http").getAsInt();
      assertTrue(o.get("grpc").getAsInt() > 0);
      String first = version(http);
      assertTrue(first.startsWith("1-" + LoadTest.manifestHash(Bundles.a).substring(0, 12)), first);
      assertTrue(Files.readString(out).contains("gRPC " + o.get("grpc").getAsInt()), Files.readString(out));

      Path fresh = dir.resolve("emoji.new");
      LoadTest.copy(Bundles.b, fresh);
      Files.move(served, dir.resolve("emoji.old"), StandardCopyOption.ATOMIC_MOVE);
      Files.move(fresh, served, StandardCopyOption.ATOMIC_MOVE);
      assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor());
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (version(http).equals(first) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertTrue(version(http).startsWith("2-" + LoadTest.manifestHash(Bundles.b).substring(0, 12)),
          version(http));
      assertEquals(200, Clients.post(http, "/v1/models/emoji:predict",
          ServingTest.json(Bundles.examples.subList(0, 2))).status());

      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running a minute after SIGTERM");
      assertEquals(143, p.exitValue());
      String log = Files.readString(err);
      assertTrue(log.contains("now serves version 2-"), log);
      assertTrue(log.contains("mmfuse serve: stopping") && log.contains("mmfuse serve: stopped"), log);
    } finally {
      p.destroyForcibly();
    }
  }
}
