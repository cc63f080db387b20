package io.mmfuse.fusion.data;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.TokenSequence;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Token sequences kept on disk so that epochs after the first need not read and decode the data again: shards of up
 * to 1 GiB, memory-mapped once the cache is complete, with an index of where each row is. An entry lives in a
 * directory named by its key, a hash of what the tokens depend on (the data files' contents, every tokenizer's
 * settings and fitted state, the format); when either changes the key changes, the entry is not found, and the
 * stale entry of the same data is deleted. An entry only counts once it is sealed: one a run left half-written is
 * written anew. Reading is safe from many threads; writing is done by one.
 */
public final class TokenCache implements AutoCloseable {
  private static final String FORMAT = "mmfuse-token-cache-2";
  private static final long SHARD_BYTES = 1L << 30;
  private static final String COMPLETE = "complete";
  private static final String SOURCE = "source";

  private final Path dir;
  private final List<String> inputs;
  private final int rows;
  private boolean complete;
  // While writing:
  private long[] index;
  private final List<FileChannel> writing = new ArrayList<>();
  private long shardBytes;
  // Once complete:
  private final List<MappedByteBuffer> shards = new ArrayList<>();
  private LongBuffer mappedIndex;

  private TokenCache(Path dir, List<String> inputs, int rows) {
    this.dir = dir;
    this.inputs = List.copyOf(inputs);
    this.rows = rows;
  }

  /** The key of the given parts (file hashes, settings), as hex. */
  public static String key(List<String> parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(FORMAT.getBytes(StandardCharsets.UTF_8));
      for (String p : parts) {
        byte[] b = p.getBytes(StandardCharsets.UTF_8);
        md.update(ByteBuffer.allocate(4).putInt(b.length).array());
        md.update(b);
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Opens the entry {@code key} under {@code root}: complete (to read) if it was sealed, else a new one to write;
   * entries under {@code root} made from the same {@code source} with another key are deleted.
   */
  public static TokenCache open(Path root, String key, String source, List<String> inputs, int rows) {
    Path dir = root.resolve(key);
    TokenCache c = new TokenCache(dir, inputs, rows);
    try {
      Files.createDirectories(root);
      try (Stream<Path> entries = Files.list(root)) {
        for (Path e : entries.toList()) {
          Path s = e.resolve(SOURCE);
          if (!e.equals(dir) && Files.isRegularFile(s)
              && Files.readString(s, StandardCharsets.UTF_8).equals(source)) {
            io.mmfuse.fusion.internal.Checksums.deleteTree(e);
          }
        }
      }
      if (Files.isRegularFile(dir.resolve(COMPLETE))
          && Files.readString(dir.resolve(COMPLETE)).trim().equals(Integer.toString(rows))) {
        c.map();
      } else {
        io.mmfuse.fusion.internal.Checksums.deleteTree(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(SOURCE), source, StandardCharsets.UTF_8);
        c.index = new long[rows];
        Arrays.fill(c.index, -1);
      }
    } catch (IOException e) {
      throw new InvalidInputException("token cache " + dir + ": " + e.getMessage(), e);
    }
    return c;
  }

  public Path dir() {
    return dir;
  }

  /** Whether the entry is sealed: every row's tokens (or its absence) are there to read. */
  public boolean complete() {
    return complete;
  }

  /** Rows whose tokens the entry holds. */
  public int cachedRows() {
    int n = 0;
    for (int i = 0; i < rows; i++) {
      if ((complete ? mappedIndex.get(i) : index[i]) >= 0) {
        n++;
      }
    }
    return n;
  }

  /** The tokens of a row, per input (null where missing); null when the entry does not hold the row. */
  public Map<String, TokenSequence> get(int row) {
    if (!complete) {
      throw new IllegalStateException("token cache " + dir + " is still being written");
    }
    long at = mappedIndex.get(row);
    if (at < 0) {
      return null;
    }
    ByteBuffer shard = shards.get((int) (at >>> 32));
    int offset = (int) at;
    int length = shard.getInt(offset);
    try {
      ByteBuffer in = shard.slice(offset + 4, length);
      Map<String, TokenSequence> out = new LinkedHashMap<>();
      for (String input : inputs) {
        out.put(input, in.get() == 0 ? null : read(in));
      }
      return out;
    } catch (RuntimeException e) {
      throw new InvalidInputException("token cache " + dir + ": row " + row + " is corrupt: " + e.getMessage(), e);
    }
  }

  private static TokenSequence read(ByteBuffer in) {
    byte[] name = new byte[in.getInt()];
    in.get(name);
    io.mmfuse.api.proto.TokenKind kind = io.mmfuse.api.proto.TokenKind.forNumber(in.getInt());
    io.mmfuse.api.proto.PositionLayout layout = io.mmfuse.api.proto.PositionLayout.forNumber(in.getInt());
    int featureWidth = in.getInt();
    int[] ids = ints(in);
    float[] scales = floats(in);
    float[] features = floats(in);
    int[] positions = ints(in);
    int[] segments = ints(in);
    return new TokenSequence(new String(name, StandardCharsets.UTF_8), kind, ids, scales, featureWidth, features,
        layout, positions, segments);
  }

  private static int[] ints(ByteBuffer in) {
    int[] a = new int[in.getInt()];
    in.asIntBuffer().get(a);
    in.position(in.position() + 4 * a.length);
    return a;
  }

  private static float[] floats(ByteBuffer in) {
    float[] a = new float[in.getInt()];
    in.asFloatBuffer().get(a);
    in.position(in.position() + 4 * a.length);
    return a;
  }

  /** Adds a row's tokens (once; the writer's thread only). */
  public void put(int row, Map<String, TokenSequence> tokens) {
    put(row, encode(tokens));
  }

  /** Adds a row's tokens as {@link #encode} gave them, so that the encoding can run on another thread. */
  public void put(int row, byte[] bytes) {
    if (complete || index[row] >= 0) {
      return;
    }
    try {
      if (writing.isEmpty() || shardBytes + bytes.length + 4 > SHARD_BYTES) {
        writing.add(FileChannel.open(shard(writing.size()), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING));
        shardBytes = 0;
      }
      FileChannel ch = writing.get(writing.size() - 1);
      ByteBuffer b = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      index[row] = ((long) (writing.size() - 1) << 32) | shardBytes;
      shardBytes += 4 + bytes.length;
    } catch (IOException e) {
      throw new InvalidInputException("token cache " + dir + ": cannot be written: " + e.getMessage(), e);
    }
  }

  /** Writes the index and seals the entry; from now on it is read, memory-mapped. */
  public void seal() {
    if (complete) {
      return;
    }
    try {
      for (FileChannel ch : writing) {
        ch.close();
      }
      writing.clear();
      ByteBuffer b = ByteBuffer.allocate(8 * rows);
      b.asLongBuffer().put(index);
      Files.write(dir.resolve("index.bin"), b.array());
      index = null;
      Files.writeString(dir.resolve(COMPLETE), Integer.toString(rows));
      map();
    } catch (IOException e) {
      throw new InvalidInputException("token cache " + dir + ": cannot be sealed: " + e.getMessage(), e);
    }
  }

  private void map() throws IOException {
    try (FileChannel ch = FileChannel.open(dir.resolve("index.bin"), StandardOpenOption.READ)) {
      if (ch.size() != 8L * rows) {
        throw new IOException("its index holds " + ch.size() / 8 + " rows, not " + rows);
      }
      mappedIndex = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).asLongBuffer();
    }
    for (int s = 0; Files.isRegularFile(shard(s)); s++) {
      try (FileChannel ch = FileChannel.open(shard(s), StandardOpenOption.READ)) {
        shards.add(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
      }
    }
    complete = true;
  }

  private Path shard(int n) {
    return dir.resolve(String.format(java.util.Locale.ROOT, "shard-%05d.bin", n));
  }

  /** A row's tokens as the cache stores them (safe from any thread). Per input: a presence byte, then the sequence's fields, arrays as a length and their raw values. */
  public byte[] encode(Map<String, TokenSequence> tokens) {
    int size = 0;
    for (String input : inputs) {
      TokenSequence t = tokens.get(input);
      size += 1;
      if (t != null) {
        size += 4 + t.modality().getBytes(StandardCharsets.UTF_8).length + 12 + 20 + 4 * (t.ids().length
            + t.scales().length + t.features().length + t.positions().length + t.segmentIds().length);
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    for (String input : inputs) {
      TokenSequence t = tokens.get(input);
      b.put((byte) (t == null ? 0 : 1));
      if (t == null) {
        continue;
      }
      byte[] name = t.modality().getBytes(StandardCharsets.UTF_8);
      b.putInt(name.length).put(name).putInt(t.kind().getNumber()).putInt(t.layout().getNumber())
          .putInt(t.featureWidth());
      putInts(b, t.ids());
      putFloats(b, t.scales());
      putFloats(b, t.features());
      putInts(b, t.positions());
      putInts(b, t.segmentIds());
    }
    return b.array();
  }

  private static void putInts(ByteBuffer b, int[] a) {
    b.putInt(a.length);
    b.asIntBuffer().put(a);
    b.position(b.position() + 4 * a.length);
  }

  private static void putFloats(ByteBuffer b, float[] a) {
    b.putInt(a.length);
    b.asFloatBuffer().put(a);
    b.position(b.position() + 4 * a.length);
  }

  /** Closes what is being written (an unsealed entry stays unsealed, to be written anew next time). */
  @Override
  public void close() {
    for (FileChannel ch : writing) {
      try {
        ch.close();
      } catch (IOException e) {
        // Nothing to save: the entry is not sealed, so it is never read.
      }
    }
    writing.clear();
  }

}
