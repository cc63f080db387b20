package io.mmfuse.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --help} works on every command: usage on standard output, exit 0, whatever the command requires. */
class HelpTest {
  private static void paths(CommandLine c, List<String> prefix, List<List<String>> out) {
    for (var e : c.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue;
      }
      List<String> path = new ArrayList<>(prefix);
      path.add(e.getKey());
      out.add(path);
      paths(e.getValue(), path, out);
    }
  }

  @Test
  void everySubcommandPrintsItsUsageAndExitsZeroOnHelp() {
    List<List<String>> all = new ArrayList<>();
    paths(new CommandLine(new Main()), List.of(), all);
    assertTrue(all.size() >= 10, "subcommands: " + all);
    for (List<String> path : all) {
      for (String flag : List.of("--help", "-h")) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        assertEquals(0, code, path + " " + flag + ": " + err);
        assertTrue(out.toString().startsWith("Usage: mmfuse " + String.join(" ", path)), path + ": " + out);
        assertEquals("", err.toString(), path + " " + flag);
      }
    }
  }
}
