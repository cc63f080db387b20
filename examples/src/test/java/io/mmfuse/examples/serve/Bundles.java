package io.mmfuse.examples.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.Plugins;
import io.mmfuse.api.proto.Example;
import io.mmfuse.api.proto.InputValue;
import io.mmfuse.api.proto.TableRow;
import io.mmfuse.examples.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The bundles the serving tests serve, trained once per test JVM on the emoji sample (image, name and a table of
 * vendor and Unicode version, labelled by category): A (1 epoch), B (2 epochs, so other weights) and a contrastive
 * model of pictures against names.
 */
final class Bundles {
  static final ModalityRegistry REGISTRY = Plugins.load(Bundles.class.getClassLoader());
  static Path dir;
  static Path a;
  static Path b;
  static Path pairs;
  static List<Example> examples;

  private Bundles() {}

  static synchronized void train() throws Exception {
    if (dir != null) {
      return;
    }
    Path d = Files.createTempDirectory("mmfuse-serving-test");
    // Shared by the test classes of this JVM, so removed when it ends.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> io.mmfuse.fusion.internal.Checksums.deleteTree(d)));
    Path sample = Path.of(Bundles.class.getResource("/emoji-sample/emoji.csv").toURI());
    Path csv = d.resolve("emoji.csv");
    List<CSVRecord> rows;
    try (CSVParser p = CSVParser.parse(sample, java.nio.charset.StandardCharsets.UTF_8,
        CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get())) {
      rows = p.getRecords();
    }
    try (CSVPrinter out = new CSVPrinter(Files.newBufferedWriter(csv), CSVFormat.DEFAULT)) {
      out.printRecord("image", "name", "vendor", "added_in", "category");
      for (CSVRecord r : rows) {
        out.printRecord(sample.getParent().resolve(r.get("image")).toString(), r.get("name"), r.get("vendor"),
            r.get("added_in"), r.get("category"));
      }
    }
    cli("train", "--data", csv.toString(), "--label", "category", "--out", d.resolve("a").toString(), "--epochs",
        "1");
    cli("train", "--data", csv.toString(), "--label", "category", "--out", d.resolve("b").toString(), "--epochs",
        "2", "--seed", "7");
    cli("train", "--data", csv.toString(), "--task", "contrastive", "--pair", "image,name", "--out",
        d.resolve("pairs").toString(), "--epochs", "2");
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < rows.size(); i += 12) {
      CSVRecord r = rows.get(i);
      ex.add(Example.newBuilder()
          .putInputs("image", InputValue.newBuilder().setImage(ByteString.copyFrom(
              Files.readAllBytes(sample.getParent().resolve(r.get("image"))))).build())
          .putInputs("name", InputValue.newBuilder().setText(r.get("name")).build())
          .putInputs("table", InputValue.newBuilder().setTable(TableRow.newBuilder()
              .putCells("vendor", r.get("vendor")).putCells("added_in", r.get("added_in"))).build())
          .build());
    }
    examples = ex;
    a = d.resolve("a");
    b = d.resolve("b");
    pairs = d.resolve("pairs");
    dir = d;
  }

  static String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    assertEquals(0, code, String.join(" ", args) + ": " + err);
    return new String[] {out.toString(), err.toString()};
  }
}
