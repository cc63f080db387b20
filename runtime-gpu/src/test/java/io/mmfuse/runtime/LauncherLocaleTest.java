package io.mmfuse.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's UTF-8 character set for the JVM in the plain C or POSIX locale ({@code scripts/lib/locale.sh}, run
 * by bash): where no locale is set, Java 17 cannot name a file whose name is not ASCII; with the launcher's
 * LC_CTYPE it reads it.
 */
class LauncherLocaleTest {
  private static final Path SCRIPT = LauncherScripts.script("locale.sh");
  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  @TempDir Path dir;

  /** Runs {@code command} in bash with the script sourced; no locale variables but those in {@code env}. */
  private static String bash(String command, Map<String, String> env) throws IOException, InterruptedException {
    return LauncherScripts.bash(SCRIPT, command,
        k -> k.equals("LANG") || k.startsWith("LC_") || k.equals("JAVA_TOOL_OPTIONS"), env);
  }

  private String setting(Map<String, String> env) throws Exception {
    Path locales = dir.resolve("locales.txt");
    Files.writeString(locales, "C\nC.utf8\nPOSIX\nen_US.utf8\n");
    return bash("mmfuse_ctype_setting \"" + locales + "\"", env);
  }

  @Test
  void onlyThePlainCOrPosixLocaleGetsUtf8() throws Exception {
    assertEquals("C.utf8", setting(Map.of()));
    assertEquals("C.utf8", setting(Map.of("LANG", "C")));
    assertEquals("C.utf8", setting(Map.of("LANG", "POSIX")));
    assertEquals("C.utf8", setting(Map.of("LANG", "de_DE.UTF-8", "LC_CTYPE", "C")));
    // A locale of the user's, and LC_ALL (whatever it says), stay.
    assertEquals("", setting(Map.of("LANG", "en_US.UTF-8")));
    assertEquals("", setting(Map.of("LANG", "C", "LC_CTYPE", "de_DE.ISO-8859-1")));
    assertEquals("", setting(Map.of("LC_ALL", "C")));
    // A system without C.UTF-8: nothing to set.
    Path none = dir.resolve("none.txt");
    Files.writeString(none, "C\nPOSIX\n");
    assertEquals("", bash("mmfuse_ctype_setting \"" + none + "\"", Map.of()));
    // The spelling the system lists is the one used.
    Path dashed = dir.resolve("dashed.txt");
    Files.writeString(dashed, "C\nC.UTF-8\n");
    assertEquals("C.UTF-8", bash("mmfuse_ctype_setting \"" + dashed + "\"", Map.of()));
  }

  @Test
  void theJvmReadsAFileWhoseNameIsNotAsciiOnlyWithTheLaunchersLocale() throws Exception {
    assumeTrue(!bash("mmfuse_ctype_setting", Map.of()).isEmpty(), "this system lists no C.UTF-8 locale");
    Path program = dir.resolve("Read.java");
    Files.writeString(program, "public class Read { public static void main(String[] a) throws Exception {"
        + " System.out.print(java.nio.file.Files.readString(java.nio.file.Path.of(a[0])).strip()); } }");
    // bash makes the file (café-ö.txt in UTF-8 bytes) and hands its name to the JVM, whatever this JVM's locale.
    Map<String, String> env = new HashMap<>(Map.of("D", dir.toString(), "P", program.toString(), "J", JAVA));
    String file = "F=\"$D/caf$(printf '\\303\\251')-$(printf '\\303\\266').txt\"; printf 'read\\n' >\"$F\"; ";
    String plain = bash(file + "\"$J\" \"$P\" \"$F\" 2>&1 || true", env);
    assertTrue(plain.contains("Malformed input or input contains unmappable characters"), plain);
    assertEquals("read", bash(file + "mmfuse_utf8_ctype && \"$J\" \"$P\" \"$F\"", env));
  }

  @Test
  void theLauncherSetsItBeforeItStartsTheJvm() throws Exception {
    LauncherScripts.assertLauncherRunsBeforeJvm("locale.sh", "mmfuse_utf8_ctype");
  }
}
