package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mmfuse serve} as its own process: it starts, reloads on SIGHUP, and stops gracefully on SIGTERM; started with
 * SIGHUP ignored (as under nohup), it says at start that SIGHUP cannot reload it.
 */
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

  /** Whether coreutils' {@code env} can set a signal's disposition for the program it starts (coreutils 8.31+). */
  static boolean envSetsSignals() {
    try {
      return new ProcessBuilder("env", "--default-signal=HUP", "--ignore-signal=HUP", "true").start().waitFor() == 0;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A started {@code mmfuse serve}, with its port file and where its output goes. */
  record Served(Process process, Path ports, Path out, Path err) {}

  /**
   * Starts {@code mmfuse serve} on {@code served} with SIGHUP as {@code hup} says ({@code default-signal} or {@code
   * ignore-signal}, through coreutils' env; null: as this process has it) and waits for its port file.
   */
  static Served serve(Path served, String tag, String hup) throws Exception {
    Path ports = dir.resolve(tag + "-ports.json");
    Path out = dir.resolve(tag + "-out.txt");
    Path err = dir.resolve(tag + "-err.txt");
    List<String> command = new ArrayList<>();
    if (hup != null) {
      command.addAll(List.of("env", "--" + hup + "=HUP"));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "io.mmfuse.examples.cli.Main", "serve", "--model",
        "emoji=" + served, "--port", "0", "--http-port", "0", "--port-file", ports.toString()));
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(ports) && p.isAlive() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertTrue(Files.exists(ports), "no port file; standard error: " + Files.readString(err));
    } catch (Throwable t) {
      p.destroyForcibly();
      throw t;
    }
    return new Served(p, ports, out, err);
  }

  @Test
  void servesReloadsOnHangupAndStopsOnTerm() throws Exception {
    Path served = dir.resolve("emoji");
    LoadTest.copy(Bundles.a, served);
    // SIGHUP as a server normally gets it, whatever this process inherited (a build run under nohup ignores it).
    Served s = serve(served, "hup", envSetsSignals() ? "default-signal" : null);
    Process p = s.process();
    Path ports = s.ports();
    Path out = s.out();
    Path err = s.err();
    try {
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
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (version(http).equals(first) && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      String second = version(http);
      assertTrue(second.startsWith("2-" + LoadTest.manifestHash(Bundles.b).substring(0, 12)),
          second + "; standard error: " + Files.readString(err));
      assertEquals(200, Clients.post(http, "/v1/models/emoji:predict",
          ServingTest.json(Bundles.examples.subList(0, 2))).status());

      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running a minute after SIGTERM");
      assertEquals(143, p.exitValue());
      String log = Files.readString(err);
      assertTrue(log.contains("now serves version 2-"), log);
      assertTrue(log.contains("mmfuse serve: stopping") && log.contains("mmfuse serve: stopped"), log);
      assertFalse(log.contains("SIGHUP ignored"), log);
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void startedWithHangupIgnoredItSaysSoAndStillServes() throws Exception {
    assumeTrue(envSetsSignals(), "coreutils' env cannot start a program with SIGHUP ignored here");
    Path served = dir.resolve("emoji-nohup");
    LoadTest.copy(Bundles.a, served);
    Served s = serve(served, "nohup", "ignore-signal");
    Process p = s.process();
    try {
      int http = JsonParser.parseString(Files.readString(s.ports())).getAsJsonObject().get("http").getAsInt();
      String err = Files.readString(s.err());
      assertTrue(err.contains("started with SIGHUP ignored (nohup?), so SIGHUP will not reload the bundles"), err);
      assertTrue(err.contains("--watch SECONDS or the admin call"), err);
      assertEquals(200, Clients.post(http, "/v1/models/emoji:predict",
          ServingTest.json(Bundles.examples.subList(0, 1))).status());
      // An ignored SIGHUP neither reloads nor stops it.
      assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor());
      Thread.sleep(500);
      assertTrue(p.isAlive());
      assertTrue(version(http).startsWith("1-"), version(http));
      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running a minute after SIGTERM");
    } finally {
      p.destroyForcibly();
    }
  }
}
