package io.mmfuse.examples.cli;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.internal.AtomicFiles;
import io.mmfuse.modality.text.HfTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mmfuse tokenize text}: one input per line of a UTF-8 file (split on \n only), one JSON array of ids per
 * line out, in order. The output file appears whole or not at all.
 */
@Command(name = "text", description = "Tokenize each line of a UTF-8 file; write one JSON array of ids per line.")
final class TokenizeTextCommand implements Callable<Integer> {
  private static final int CHUNK_LINES = 2048;

  @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
      description = "A Hugging Face tokenizer.json, or a BERT vocab.txt (lower-cased).")
  Path tokenizerFile;

  @Option(names = "--special", description = "Add the tokenizer's special tokens ([CLS] ... [SEP]).")
  boolean special;

  @Option(names = "--input", required = true, paramLabel = "FILE", description = "UTF-8 text, one input per line.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where the ids go.")
  Path output;

  @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Override
  public Integer call() throws Exception {
    HfTokenizer tokenizer = HfTokenizer.fromFile(tokenizerFile);
    List<String> lines = readLines(input);
    List<byte[]> chunks = tokenizeInChunks(tokenizer, lines);
    AtomicFiles.write(output, out -> {
      for (byte[] chunk : chunks) {
        out.write(chunk);
      }
    });
    return 0;
  }

  /** Splits the file on \n and decodes each line strictly, naming the first line that is not UTF-8. */
  static List<String> readLines(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("input " + file + ": cannot be read: " + e, e);
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<String> lines = new ArrayList<>();
    int start = 0;
    int lineNo = 1;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      lines.add(decodeLine(decoder, bytes, start, end, file, lineNo));
      start = end + 1;
      lineNo++;
    }
    return lines;
  }

  private static String decodeLine(CharsetDecoder decoder, byte[] bytes, int start, int end, Path file, int line) {
    boolean ascii = true;
    for (int i = start; i < end && ascii; i++) {
      ascii = bytes[i] >= 0;
    }
    if (ascii) {
      return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
    }
    try {
      return decoder.reset().decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
    } catch (CharacterCodingException e) {
      int offset = start;
      // Find the first bad byte for the message by decoding prefixes of growing length.
      for (int i = start; i < end; i++) {
        try {
          decoder.reset().decode(ByteBuffer.wrap(bytes, start, i - start + 1));
          offset = i + 1;
        } catch (CharacterCodingException ignored) {
          if (i - offset >= 3) {
            break;
          }
        }
      }
      throw new InvalidInputException(
          "input " + file + ": line " + line + " is not valid UTF-8 (bad byte at offset " + (offset - start)
              + " of the line); expected UTF-8 text, one input per line");
    }
  }

  private List<byte[]> tokenizeInChunks(HfTokenizer tokenizer, List<String> lines) throws Exception {
    int n = lines.size();
    int chunks = (n + CHUNK_LINES - 1) / CHUNK_LINES;
    if (threads <= 1 || chunks <= 1) {
      List<byte[]> out = new ArrayList<>();
      for (int c = 0; c < chunks; c++) {
        out.add(format(tokenizer, lines, c * CHUNK_LINES, Math.min(n, (c + 1) * CHUNK_LINES)));
      }
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, chunks));
    try {
      List<Future<byte[]>> futures = new ArrayList<>();
      for (int c = 0; c < chunks; c++) {
        int from = c * CHUNK_LINES;
        int to = Math.min(n, from + CHUNK_LINES);
        futures.add(pool.submit(() -> format(tokenizer, lines, from, to)));
      }
      List<byte[]> out = new ArrayList<>();
      for (Future<byte[]> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw e;
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private byte[] format(HfTokenizer tokenizer, List<String> lines, int from, int to) {
    StringBuilder sb = new StringBuilder((to - from) * 64);
    for (int i = from; i < to; i++) {
      int[] ids = tokenizer.encodeIds(lines.get(i), special);
      sb.append('[');
      for (int k = 0; k < ids.length; k++) {
        if (k > 0) {
          sb.append(',');
        }
        sb.append(ids[k]);
      }
      sb.append("]\n");
    }
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
