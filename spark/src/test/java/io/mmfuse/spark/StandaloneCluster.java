package io.mmfuse.spark;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Spark standalone cluster on 127.0.0.1 for tests: a Master and Workers, each its own JVM started from this test
 * JVM's class path (Spark's own classes, as a distribution would run them), whose executors are JVMs of their own.
 * Spark's launcher wants a SPARK_HOME with a jars/ directory; an empty one does, since the executors get the class
 * path through {@code spark.executor.extraClassPath}.
 */
final class StandaloneCluster implements AutoCloseable {
  final Path dir;
  final int port;
  private final List<Process> processes = new ArrayList<>();

  StandaloneCluster(Path dir, int workers, int coresEach) throws IOException, InterruptedException {
    this.dir = dir;
    Files.createDirectories(dir.resolve("home/jars"));
    port = freePort();
    start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
        String.valueOf(port), "--webui-port", String.valueOf(freePort()));
    waitForPort(port, 60_000);
    for (int w = 0; w < workers; w++) {
      Path work = Files.createDirectories(dir.resolve("work" + w));
      start("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
          String.valueOf(coresEach), "--memory", "2g", "--webui-port", String.valueOf(freePort()), "--work-dir",
          work.toString(), url());
    }
  }

  String url() {
    return "spark://127.0.0.1:" + port;
  }

  /** Spark's Java 17 options, as the build wrote them. */
  static List<String> jvmOptions() throws IOException {
    try (InputStream in = StandaloneCluster.class.getResourceAsStream("/io/mmfuse/spark/jvm-options.txt")) {
      return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+"));
    }
  }

  private void start(String name, String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(jvmOptions());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("SPARK_HOME", dir.resolve("home").toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    processes.add(pb.start());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void waitForPort(int p, long millis) throws InterruptedException, IOException {
    long end = System.currentTimeMillis() + millis;
    while (System.currentTimeMillis() < end) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", p), 500);
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
      for (Process pr : processes) {
        if (!pr.isAlive()) {
          throw new IOException("a cluster process exited (" + pr.exitValue() + "); see the logs in " + dir);
        }
      }
    }
    throw new IOException("the master did not open port " + p + " in " + millis + " ms; see " + dir);
  }

  /** The executors' own logs (stderr of each executor JVM the workers started). */
  List<String> executorLogs() throws IOException {
    List<String> out = new ArrayList<>();
    try (var files = Files.walk(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
        out.add(Files.readString(f));
      }
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }
}
